//! [`Conversation`]: a chat's turns with their token counts, folded into a
//! running summary when they outgrow their budget; serialisable per thread.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::llm::{LanguageModel, Message, Request, Role, SystemPart};
use crate::tokens;

/// One message of the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Turn {
    /// Who said it.
    pub role: Role,
    /// What was said.
    pub text: String,
    /// Tokens of `text` by the conversation's tokenizer.
    pub tokens: usize,
}

/// What the folded turns said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The summary's text.
    pub text: String,
    /// Its tokens by the conversation's tokenizer.
    pub tokens: usize,
    /// How many turns it stands for, over all foldings.
    pub turns: usize,
}

/// Writes the summary of turns that no longer fit: a caller's function,
/// or a model through [`ModelSummariser`].
pub trait Summariser: Send + Sync {
    /// A summary of `previous` (an earlier summary, if any) followed by
    /// `turns`.
    fn summarise(&self, previous: Option<&str>, turns: &[Turn]) -> Result<String>;
}

/// Any `Fn(previous, turns) -> Result<String>` is a summariser.
impl<F> Summariser for F
where
    F: Fn(Option<&str>, &[Turn]) -> Result<String> + Send + Sync,
{
    fn summarise(&self, previous: Option<&str>, turns: &[Turn]) -> Result<String> {
        self(previous, turns)
    }
}

/// Asks a language model for the summary.
pub struct ModelSummariser {
    model: Arc<dyn LanguageModel>,
    max_tokens: u32,
}

impl ModelSummariser {
    /// `max_tokens` bounds the summary's length.
    pub fn new(model: Arc<dyn LanguageModel>, max_tokens: u32) -> ModelSummariser {
        ModelSummariser { model, max_tokens }
    }
}

impl Summariser for ModelSummariser {
    fn summarise(&self, previous: Option<&str>, turns: &[Turn]) -> Result<String> {
        let mut text = String::new();
        if let Some(p) = previous {
            text.push_str(&format!("Summary so far:\n{p}\n\n"));
        }
        text.push_str("Conversation to fold in:\n");
        for t in turns {
            let who = match t.role {
                Role::User => "User",
                Role::Assistant => "Assistant",
            };
            text.push_str(&format!("{who}: {}\n", t.text));
        }
        let request = Request {
            system: vec![SystemPart {
                text: "Summarise the conversation for your own later use: keep decisions, names, \
                       resource addresses, open questions and anything the user asked to remember. \
                       Answer with the summary only."
                    .into(),
                cache: false,
            }],
            messages: vec![Message::user(text)],
            tools: Vec::new(),
            max_tokens: self.max_tokens,
            temperature: Some(0.0),
            stop: Vec::new(),
        };
        let answer = self.model.complete(&request)?.text();
        // The offline fallback answers every request with code, labelled:
        // that is no summary, so the turns are summarised by extraction.
        if answer.starts_with(crate::llm::fallback::LABEL) {
            return Ok(extractive_summary(previous, turns));
        }
        Ok(answer)
    }
}

/// `text`, or its longest prefix (at a character, on a line if one fits)
/// of at most `room` tokens, and whether it was cut.
fn fit(text: &str, room: usize, tokenizer: &dyn tokens::Tokenizer) -> (String, bool) {
    if tokenizer.count(text) <= room {
        return (text.to_string(), false);
    }
    let ends: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect();
    // The most characters whose prefix fits, by bisection.
    let (mut lo, mut hi) = (0, ends.len() - 1);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if tokenizer.count(&text[..ends[mid]]) <= room {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let prefix = &text[..ends[lo]];
    let prefix = match prefix.rfind('\n') {
        Some(i) if i > 0 => &prefix[..i],
        _ => prefix,
    };
    let prefix = if prefix.trim().is_empty() {
        "…"
    } else {
        prefix
    };
    (prefix.to_string(), true)
}

/// A summary made without a model: the earlier summary, then each turn's
/// first line (at most 160 characters), by who said it.
pub fn extractive_summary(previous: Option<&str>, turns: &[Turn]) -> String {
    let mut out = String::new();
    if let Some(p) = previous {
        out.push_str(p.trim_end());
        out.push('\n');
    }
    for t in turns {
        let who = match t.role {
            Role::User => "User",
            Role::Assistant => "Assistant",
        };
        let line = t.text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        let line: String = line.trim().chars().take(160).collect();
        out.push_str(&format!("{who}: {line}\n"));
    }
    out
}

/// What one [`Conversation::compact`] did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Compaction {
    /// Turns folded into the summary.
    pub folded: usize,
    /// The history's tokens before folding.
    pub tokens_before: usize,
    /// The history's tokens after.
    pub tokens_after: usize,
    /// Whether the history now fits its budget.
    pub within_budget: bool,
    /// What else happened: the summary was cut to fit, or why the history
    /// still does not fit (the newest turns, kept verbatim, are too long).
    pub note: Option<String>,
}

/// A conversation's memory. Its history (summary and turns) is kept under
/// `budget` tokens by [`compact`](Self::compact), which folds the oldest
/// turns into the summary and keeps at least the `keep_latest` newest
/// turns verbatim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    /// The tokenizer counting turns, by name (see [`tokens::by_name`]).
    pub tokenizer: String,
    /// The most tokens the summary and turns may use.
    pub budget: usize,
    /// Newest turns never folded.
    pub keep_latest: usize,
    /// What the folded turns said, if any were folded.
    pub summary: Option<Summary>,
    /// The turns kept verbatim, oldest first.
    pub turns: Vec<Turn>,
}

impl Conversation {
    /// An empty conversation whose history may hold `budget` tokens,
    /// counted with `cl100k_base` (`approximate` without the `tiktoken`
    /// feature), keeping the 4 newest turns verbatim.
    pub fn new(budget: usize) -> Conversation {
        Conversation {
            tokenizer: tokens::DEFAULT.into(),
            budget,
            keep_latest: 4,
            summary: None,
            turns: Vec::new(),
        }
    }

    /// Counts with the built-in tokenizer `name` (recounting the turns held).
    pub fn with_tokenizer(mut self, name: impl Into<String>) -> Result<Conversation> {
        let name = name.into();
        tokens::by_name(&name)?;
        self.tokenizer = name;
        Ok(self)
    }

    /// Never folds the `n` newest turns (default 4).
    pub fn with_keep_latest(mut self, n: usize) -> Conversation {
        self.keep_latest = n;
        self
    }

    /// Adds a turn, counting its tokens.
    pub fn push(&mut self, role: Role, text: impl Into<String>) -> Result<&Turn> {
        let text = text.into();
        let tokens = tokens::by_name(&self.tokenizer)?.count(&text);
        self.turns.push(Turn { role, text, tokens });
        Ok(self.turns.last().expect("just pushed"))
    }

    /// Tokens of the summary and every turn.
    pub fn tokens(&self) -> usize {
        self.summary.as_ref().map_or(0, |s| s.tokens)
            + self.turns.iter().map(|t| t.tokens).sum::<usize>()
    }

    /// Whether the history has outgrown its budget.
    pub fn over_budget(&self) -> bool {
        self.tokens() > self.budget
    }

    /// How many of the oldest turns [`compact`](Self::compact) would fold:
    /// enough for the rest to fit the budget beside the current summary,
    /// never into the `keep_latest` newest, and with an assistant turn left
    /// at the front folded too (a conversation resumes with the user).
    /// 0 when the history fits. For summarisers that must run elsewhere
    /// (an async one in Node): summarise these turns, then
    /// [`fold`](Self::fold).
    pub fn foldable(&self) -> usize {
        if !self.over_budget() {
            return 0;
        }
        let limit = self.turns.len().saturating_sub(self.keep_latest);
        let mut kept: usize = self.turns.iter().map(|t| t.tokens).sum();
        let room = self
            .budget
            .saturating_sub(self.summary.as_ref().map_or(0, |s| s.tokens));
        let mut n = 0;
        while n < limit && kept > room {
            kept -= self.turns[n].tokens;
            n += 1;
        }
        while n < limit && self.turns[n].role == Role::Assistant {
            n += 1;
        }
        n
    }

    /// Replaces the `n` oldest turns and the current summary with `summary`,
    /// which must stand for both.
    pub fn fold(&mut self, n: usize, summary: impl Into<String>) -> Result<Compaction> {
        let text = summary.into();
        let invalid = |message: String| Error::InvalidArgument {
            name: "summary".into(),
            message,
        };
        if n == 0 || n > self.turns.len() {
            return Err(invalid(format!(
                "cannot fold {n} turns of {}",
                self.turns.len()
            )));
        }
        if text.trim().is_empty() {
            return Err(invalid("the summary is empty".into()));
        }
        let before = self.tokens();
        let tokens = tokens::by_name(&self.tokenizer)?.count(&text);
        let turns = self.summary.as_ref().map_or(0, |s| s.turns) + n;
        self.summary = Some(Summary {
            text,
            tokens,
            turns,
        });
        self.turns.drain(..n);
        Ok(Compaction {
            folded: n,
            tokens_before: before,
            tokens_after: self.tokens(),
            within_budget: !self.over_budget(),
            note: None,
        })
    }

    /// Folds the [`foldable`](Self::foldable) turns into the summary that
    /// `summariser` writes; `None` when nothing needed folding. A failing
    /// summariser leaves the conversation as it was.
    pub fn compact(&mut self, summariser: &dyn Summariser) -> Result<Option<Compaction>> {
        let n = self.foldable();
        if n == 0 {
            return Ok(None);
        }
        let previous = self.summary.as_ref().map(|s| s.text.as_str());
        let text = summariser.summarise(previous, &self.turns[..n])?;
        // A summary longer than the room the kept turns leave is cut to it,
        // so the history ends within budget whenever those turns allow.
        let kept: usize = self.turns[n..].iter().map(|t| t.tokens).sum();
        let room = self.budget.saturating_sub(kept);
        let tokenizer = tokens::by_name(&self.tokenizer)?;
        let (text, cut) = fit(&text, room.max(1), tokenizer.as_ref());
        let mut done = self.fold(n, text)?;
        if !done.within_budget {
            done.note = Some(format!(
                "the {} newest turns, kept verbatim, use {kept} tokens of the {} budget; \
                 lower keep_latest or raise the budget",
                self.turns.len(),
                self.budget
            ));
        } else if cut {
            done.note = Some(format!(
                "the summary was cut to the {room} tokens left for it"
            ));
        }
        Ok(Some(done))
    }

    /// The conversation as JSON, to store per thread.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a conversation is plain data")
    }

    /// A conversation saved with `to_json`.
    pub fn from_json(text: &str) -> Result<Conversation> {
        let c: Conversation = serde_json::from_str(text).map_err(|e| Error::InvalidArgument {
            name: "conversation".into(),
            message: format!("not a saved conversation: {e}"),
        })?;
        tokens::by_name(&c.tokenizer)?;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chat(n: usize) -> Conversation {
        let mut c = Conversation::new(60).with_keep_latest(2);
        for i in 0..n {
            let role = if i % 2 == 0 {
                Role::User
            } else {
                Role::Assistant
            };
            c.push(role, format!("turn {i}: {}", "word ".repeat(9)))
                .unwrap();
        }
        c
    }

    #[test]
    fn folds_the_oldest_turns_and_keeps_the_latest() {
        let mut c = chat(8);
        let per = c.turns[0].tokens;
        assert_eq!(c.tokens(), 8 * per);
        let fold = |prev: Option<&str>, turns: &[Turn]| -> Result<String> {
            Ok(format!("{}+{}", prev.unwrap_or("S"), turns.len()))
        };
        let done = c.compact(&fold).unwrap().unwrap();
        assert!(c.tokens() <= 60, "{} tokens", c.tokens());
        assert_eq!(done.folded + c.turns.len(), 8);
        assert_eq!(c.turns[0].role, Role::User);
        assert_eq!(
            c.turns.last().unwrap().text,
            format!("turn 7: {}", "word ".repeat(9))
        );
        assert_eq!(c.summary.as_ref().unwrap().turns, done.folded);
        assert!(c.compact(&fold).unwrap().is_none(), "fits now");
        for i in 8..14 {
            c.push(
                if i % 2 == 0 {
                    Role::User
                } else {
                    Role::Assistant
                },
                "more ".repeat(10),
            )
            .unwrap();
        }
        let again = c.compact(&fold).unwrap().unwrap();
        assert!(c
            .summary
            .as_ref()
            .unwrap()
            .text
            .starts_with(&format!("S+{}+", done.folded)));
        assert_eq!(
            c.summary.as_ref().unwrap().turns,
            done.folded + again.folded
        );
        let back = Conversation::from_json(&c.to_json()).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn a_failing_summariser_changes_nothing() {
        let mut c = chat(8);
        let before = c.clone();
        let fail = |_: Option<&str>, _: &[Turn]| -> Result<String> { Err(Error::Cancelled) };
        assert!(c.compact(&fail).is_err());
        assert_eq!(c, before);
        assert!(Conversation::from_json("{\"turns\": 3}").is_err());
    }

    /// The fallback model answers every request with labelled code; as a
    /// summariser it must neither store that nor leave the history over
    /// its budget (it once left 387 tokens of a 300 budget).
    #[test]
    fn the_fallback_summarises_by_extraction_and_the_history_fits() {
        let mut c = Conversation::new(300).with_keep_latest(2);
        for i in 0..12 {
            let role = if i % 2 == 0 {
                Role::User
            } else {
                Role::Assistant
            };
            let text = format!(
                "Step {i}: add a bucket for logs.\n```hcl\nresource \"aws_s3_bucket\" \"b{i}\" {{\n  bucket = \"logs-{i}\"\n}}\n```\n{}",
                "with versioning and encryption ".repeat(4)
            );
            c.push(role, text).unwrap();
        }
        assert!(c.over_budget());
        let model = std::sync::Arc::new(crate::llm::Fallback::new());
        let done = c
            .compact(&ModelSummariser::new(model, 1024))
            .unwrap()
            .unwrap();
        assert!(done.within_budget && c.tokens() <= 300, "{done:?}");
        let summary = &c.summary.as_ref().unwrap().text;
        assert!(
            !summary.contains("infrarag-fallback") && !summary.contains("resource"),
            "{summary}"
        );
        assert!(
            summary.starts_with("User: Step 0: add a bucket for logs."),
            "{summary}"
        );
    }

    #[test]
    fn a_long_summary_is_cut_and_turns_too_long_to_fit_are_said() {
        let mut c = chat(8);
        let long =
            |_: Option<&str>, _: &[Turn]| -> Result<String> { Ok("summary line\n".repeat(200)) };
        let done = c.compact(&long).unwrap().unwrap();
        assert!(done.within_budget && c.tokens() <= 60, "{done:?}");
        assert!(
            done.note.as_deref().is_some_and(|n| n.contains("cut")),
            "{done:?}"
        );
        assert!(c.summary.as_ref().unwrap().text.starts_with("summary line"));

        let mut c = Conversation::new(20).with_keep_latest(2);
        for i in 0..4 {
            let role = if i % 2 == 0 {
                Role::User
            } else {
                Role::Assistant
            };
            c.push(role, "word ".repeat(30)).unwrap();
        }
        let short = |_: Option<&str>, _: &[Turn]| -> Result<String> { Ok("s".into()) };
        let done = c.compact(&short).unwrap().unwrap();
        assert!(!done.within_budget);
        assert!(
            done.note
                .as_deref()
                .is_some_and(|n| n.contains("keep_latest")),
            "{done:?}"
        );
    }
}
