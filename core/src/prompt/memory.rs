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
    pub role: Role,
    pub text: String,
    /// Tokens of `text` by the conversation's tokenizer.
    pub tokens: usize,
}

/// What the folded turns said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub text: String,
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
        Ok(self.model.complete(&request)?.text())
    }
}

/// What one [`Conversation::compact`] did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Compaction {
    /// Turns folded into the summary.
    pub folded: usize,
    pub tokens_before: usize,
    pub tokens_after: usize,
}

/// A conversation's memory. Its history (summary and turns) is kept under
/// `budget` tokens by [`compact`](Self::compact), which folds the oldest
/// turns into the summary and keeps at least the `keep_latest` newest
/// turns verbatim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    /// The tokenizer counting turns, by name (see [`tokens::by_name`]).
    pub tokenizer: String,
    pub budget: usize,
    pub keep_latest: usize,
    pub summary: Option<Summary>,
    pub turns: Vec<Turn>,
}

impl Conversation {
    /// An empty conversation whose history may hold `budget` tokens,
    /// counted with `cl100k_base`, keeping the 4 newest turns verbatim.
    pub fn new(budget: usize) -> Conversation {
        Conversation {
            tokenizer: "cl100k_base".into(),
            budget,
            keep_latest: 4,
            summary: None,
            turns: Vec::new(),
        }
    }

    pub fn with_tokenizer(mut self, name: impl Into<String>) -> Result<Conversation> {
        let name = name.into();
        tokens::by_name(&name)?;
        self.tokenizer = name;
        Ok(self)
    }

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
        self.fold(n, text).map(Some)
    }

    /// The conversation as JSON, to store per thread.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a conversation is plain data")
    }

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
}
