//! The generation loop: retrieve → build the prompt → generate (calling the
//! host's tools) → extract the files → validate → re-prompt with what
//! validation found, for a bounded number of rounds, reporting [`Event`]s.

mod extract;
mod tools;

use std::ops::ControlFlow;
use std::sync::Arc;

use serde::Serialize;

pub use extract::{files, GeneratedFile};
pub use tools::{FnTool, Tool, Tools};

use crate::cancel::CancelToken;
use crate::error::{Error, Result};
use crate::index::Index;
use crate::llm::{Content, Delta, LanguageModel, Message, Role, Usage};
use crate::prompt::{ContextItem, Conversation, PromptBuilder};
use crate::terraform::SourceFile;
use crate::validate::{Finding, Report, Severity, Validator};

/// The instructions every generation starts with.
pub const SYSTEM: &str = "You write Terraform (HCL) for infrastructure platforms. \
Answer with complete files, each in its own ```hcl code block whose info string names the file \
(```hcl main.tf). Use only what the task and the cited context support; declare every variable \
you use. When you use the context, cite it as [n].";

/// A finding as events and results carry it: where and what.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// `error` or `warning`.
    pub severity: Severity,
    /// The finding's stable code (`undeclared_variable`, `CKV_AWS_20`, ...).
    pub code: String,
    /// The file, as the answer named it.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong, in one line.
    pub message: String,
    /// The suggested replacement, when validation has one.
    pub fix: Option<String>,
}

impl From<&Finding> for Problem {
    fn from(f: &Finding) -> Problem {
        Problem {
            severity: f.severity,
            code: f.code.clone(),
            file: f.file.display().to_string(),
            line: f.span.start.line,
            column: f.span.start.column,
            // Policy findings repeat their title in the detail.
            message: if f.detail.is_empty() {
                f.summary.clone()
            } else if f.detail.contains(&f.summary) {
                f.detail.clone()
            } else {
                format!("{}: {}", f.summary, f.detail)
            },
            fix: f
                .fix
                .as_ref()
                .map(|x| format!("{} (replace with {:?})", x.message, x.replacement)),
        }
    }
}

/// What the loop is doing, in order. A backend forwards these as they
/// come (over a WebSocket, say).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// Context found for the task.
    Retrieved {
        /// The context's citations, best first.
        citations: Vec<String>,
    },
    /// The prompt is assembled.
    PromptBuilt {
        /// Tokens the prompt uses.
        tokens: usize,
        /// Tokens it could use: the window less the answer's reserve.
        budget: usize,
        /// Context items it holds.
        context: usize,
        /// Context items left out for lack of room.
        omitted: usize,
        /// Secrets replaced before sending.
        redactions: usize,
    },
    /// A piece of the model's answer.
    Generating {
        /// 0: the first answer; then each correction.
        round: usize,
        /// The new text.
        text: String,
    },
    /// The model's call failed and is tried again in `wait_ms`; repeated
    /// about once a second while waiting (see [`Delta::Retrying`]).
    Retrying {
        /// The round the call belongs to.
        round: usize,
        /// The attempt that failed, from 1.
        attempt: u32,
        /// Milliseconds left before the next attempt.
        wait_ms: u64,
        /// Why the attempt failed.
        reason: String,
    },
    /// The model asked for a tool.
    ToolCall {
        /// The round the call belongs to.
        round: usize,
        /// The model's id for the call.
        id: String,
        /// The tool's name.
        name: String,
        /// The arguments, as the tool's schema describes them.
        input: serde_json::Value,
    },
    /// A tool answered; the answer goes back to the model.
    ToolResult {
        /// The round the call belongs to.
        round: usize,
        /// The model's id for the call.
        id: String,
        /// The tool's name.
        name: String,
        /// What the tool returned, or its error's message.
        output: String,
        /// Whether the tool failed.
        is_error: bool,
    },
    /// The round's files were validated.
    Validated {
        /// The round validated.
        round: usize,
        /// The files' names.
        files: Vec<String>,
        /// Findings of severity error.
        errors: usize,
        /// Findings of severity warning.
        warnings: usize,
        /// Every finding, where and what.
        problems: Vec<Problem>,
    },
    /// Errors remain: the model is asked to correct them.
    Correcting {
        /// The round being corrected.
        round: usize,
        /// How many errors it has.
        errors: usize,
    },
    /// The loop ended.
    Done {
        /// How it ended.
        outcome: Outcome,
        /// Answers given: the first and each correction.
        rounds: usize,
        /// Tokens over every model call.
        usage: Usage,
    },
    /// The loop stopped on an error, which `execute` also returns.
    Failed {
        /// The error's stable code (`PROVIDER_ERROR`, `CANCELLED`, ...).
        code: String,
        /// The error's message.
        message: String,
    },
}

/// How a generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The files validate without errors.
    Valid,
    /// Errors remain after the last round, or a correction changed nothing.
    Invalid,
    /// The answer held no ```hcl code block.
    NoCode,
    /// The model kept calling tools past the step limit.
    StepLimit,
}

/// One answer and what validation made of it.
#[derive(Debug, Clone, Serialize)]
pub struct Round {
    /// The model's full answer.
    pub answer: String,
    /// The files its code blocks held.
    pub files: Vec<GeneratedFile>,
    /// What validation found in them.
    pub problems: Vec<Problem>,
    /// Tokens this answer's calls used.
    pub usage: Usage,
}

/// What a generation produced.
#[derive(Debug, Clone, Serialize)]
pub struct Generation {
    /// How it ended.
    pub outcome: Outcome,
    /// The last round's files.
    pub files: Vec<GeneratedFile>,
    /// Every answer, the first and each correction.
    pub rounds: Vec<Round>,
    /// Over every model call, tool steps and corrections included.
    pub usage: Usage,
    /// The model's name.
    pub model: String,
    /// The context the prompt held.
    pub context: Vec<ContextItem>,
    /// The last round's full validation report, when it had files.
    #[serde(skip)]
    pub report: Option<Report>,
}

/// Runs generations with one model, validator and set of tools.
#[derive(Clone)]
pub struct Generator {
    model: Arc<dyn LanguageModel>,
    validator: Validator,
    tools: Tools,
    system: String,
    max_rounds: usize,
    max_steps: usize,
    k: usize,
    context_window: usize,
    reserve_output: usize,
}

impl Generator {
    /// Defaults: 3 correction rounds, 8 tool steps per answer, 6 context
    /// hits, a 200,000-token window with 8,192 reserved for the answer.
    pub fn new(model: Arc<dyn LanguageModel>) -> Generator {
        Generator {
            model,
            validator: Validator::new(),
            tools: Tools::new(),
            system: SYSTEM.into(),
            max_rounds: 3,
            max_steps: 8,
            k: 6,
            context_window: 200_000,
            reserve_output: 8192,
        }
    }

    /// Checks each answer's files (default: every check).
    pub fn validator(mut self, validator: Validator) -> Self {
        self.validator = validator;
        self
    }

    /// Offers the model a host tool it may call while answering.
    pub fn tool(mut self, tool: Arc<dyn Tool>) -> Self {
        self.tools.add(tool);
        self
    }

    /// Replaces the default instructions ([`SYSTEM`]).
    pub fn system(mut self, text: impl Into<String>) -> Self {
        self.system = text.into();
        self
    }

    /// Corrections after the first answer (0: validate once, never re-ask).
    pub fn max_rounds(mut self, n: usize) -> Self {
        self.max_rounds = n;
        self
    }

    /// Model calls per answer that may ask for tools.
    pub fn max_steps(mut self, n: usize) -> Self {
        self.max_steps = n;
        self
    }

    /// Context hits retrieved from the index.
    pub fn k(mut self, k: usize) -> Self {
        self.k = k;
        self
    }

    /// The model's context window, in tokens (default 200,000).
    pub fn context_window(mut self, tokens: usize) -> Self {
        self.context_window = tokens;
        self
    }

    /// Tokens kept free for each answer; also its `max_tokens` (default
    /// 8,192).
    pub fn reserve_output(mut self, tokens: usize) -> Self {
        self.reserve_output = tokens;
        self
    }

    /// The model answering.
    pub fn model(&self) -> &Arc<dyn LanguageModel> {
        &self.model
    }

    /// The context [`Generate::index`] would retrieve for `task`: the `k`
    /// best hits. Bindings call it to hold an index's lock only while
    /// searching, then pass the items to [`Generate::context`].
    pub fn retrieve(&self, index: &Index, task: &str) -> Result<Vec<ContextItem>> {
        let hits = index.search(task).k(self.k).execute()?;
        Ok(hits.iter().map(ContextItem::from).collect())
    }

    /// A generation for `task`; configure it, then [`Generate::execute`].
    pub fn generate<'a>(&'a self, task: &str) -> Generate<'a> {
        Generate {
            generator: self,
            task: task.to_string(),
            index: None,
            context: Vec::new(),
            history: None,
            on_event: None,
            cancel: CancelToken::new(),
        }
    }
}

type OnEvent<'a> = Box<dyn FnMut(&Event) -> ControlFlow<()> + 'a>;

/// One generation being configured.
pub struct Generate<'a> {
    generator: &'a Generator,
    task: String,
    index: Option<&'a Index>,
    context: Vec<ContextItem>,
    history: Option<&'a Conversation>,
    on_event: Option<OnEvent<'a>>,
    cancel: CancelToken,
}

impl<'a> Generate<'a> {
    /// Retrieves context for the task from `index`.
    pub fn index(mut self, index: &'a Index) -> Self {
        self.index = Some(index);
        self
    }

    /// Context given directly, after any retrieved.
    pub fn context(mut self, items: impl IntoIterator<Item = ContextItem>) -> Self {
        self.context.extend(items);
        self
    }

    /// The chat so far, packed into the prompt under the budget. It is
    /// read, not changed: record the turn yourself, the task as the user's
    /// and, say, the last round's answer as the assistant's, then
    /// [`Conversation::compact`] when it is over budget.
    pub fn history(mut self, conversation: &'a Conversation) -> Self {
        self.history = Some(conversation);
        self
    }

    /// Receives every [`Event`]; `ControlFlow::Break` stops the loop with
    /// [`Error::Cancelled`].
    pub fn on_event(mut self, f: impl FnMut(&Event) -> ControlFlow<()> + 'a) -> Self {
        self.on_event = Some(Box::new(f));
        self
    }

    /// Stops the loop with [`Error::Cancelled`] once `cancel` is set: at
    /// its next step, before any further model call, and during a model
    /// call (see [`LanguageModel::stream_until`]).
    pub fn cancel(mut self, cancel: CancelToken) -> Self {
        self.cancel = cancel;
        self
    }

    /// Runs the loop: retrieve, prompt, answer, validate, correct until the files validate or the rounds run out.
    pub fn execute(mut self) -> Result<Generation> {
        let mut on_event = self.on_event.take();
        let cancel = self.cancel.clone();
        let mut emit = |e: Event| -> Result<()> {
            cancel.check()?;
            let stop = on_event.as_mut().is_some_and(|f| f(&e).is_break());
            if stop {
                Err(Error::Cancelled)
            } else {
                Ok(())
            }
        };
        let result = self.run(&mut emit);
        if let Err(e) = &result {
            if !matches!(e, Error::Cancelled) {
                let _ = emit(Event::Failed {
                    code: e.code().into(),
                    message: e.to_string(),
                });
            }
        }
        result
    }

    fn run(&self, emit: &mut dyn FnMut(Event) -> Result<()>) -> Result<Generation> {
        let g = self.generator;
        let mut context = Vec::new();
        if let Some(index) = self.index {
            context.extend(g.retrieve(index, &self.task)?);
        }
        context.extend(self.context.iter().cloned());
        emit(Event::Retrieved {
            citations: context.iter().map(|c| c.citation.clone()).collect(),
        })?;

        let mut builder = PromptBuilder::new()
            .context_window(g.context_window)
            .reserve_output(g.reserve_output)
            .system(g.system.clone(), true)
            .context(context)
            .tools(g.tools.specs())
            .user(self.task.clone());
        if let Some(h) = self.history {
            builder = builder.history(h);
        }
        let prompt = builder.build()?;
        emit(Event::PromptBuilt {
            tokens: prompt.tokens,
            budget: prompt.budget,
            context: prompt.context.len(),
            omitted: prompt.omitted.len(),
            redactions: prompt.redactions.len(),
        })?;

        let mut request = prompt.request;
        let mut usage = Usage::default();
        let mut rounds: Vec<Round> = Vec::new();
        let mut report = None;
        let outcome = loop {
            let round = rounds.len();
            let (answer, round_usage, stopped) = self.answer(&mut request, round, emit)?;
            usage += round_usage;
            if stopped {
                rounds.push(Round {
                    answer,
                    files: Vec::new(),
                    problems: Vec::new(),
                    usage: round_usage,
                });
                break Outcome::StepLimit;
            }
            let files = files(&answer);
            if files.is_empty() {
                rounds.push(Round {
                    answer,
                    files,
                    problems: Vec::new(),
                    usage: round_usage,
                });
                break Outcome::NoCode;
            }
            let sources: Vec<SourceFile> = files
                .iter()
                .map(|f| SourceFile::new(&f.path, f.text.clone()))
                .collect();
            let checked = g.validator.check(&sources);
            let problems: Vec<Problem> = checked.findings.iter().map(Problem::from).collect();
            let errors = checked.error_count();
            emit(Event::Validated {
                round,
                files: files.iter().map(|f| f.path.clone()).collect(),
                errors,
                warnings: checked.warning_count(),
                problems: problems.clone(),
            })?;
            let unchanged = rounds.last().is_some_and(|r| r.files == files);
            rounds.push(Round {
                answer,
                files,
                problems: problems.clone(),
                usage: round_usage,
            });
            report = Some(checked);
            if errors == 0 {
                break Outcome::Valid;
            }
            if round >= g.max_rounds || unchanged {
                break Outcome::Invalid;
            }
            emit(Event::Correcting {
                round: round + 1,
                errors,
            })?;
            request.messages.push(Message::user(correction(&problems)));
        };
        emit(Event::Done {
            outcome,
            rounds: rounds.len(),
            usage,
        })?;
        Ok(Generation {
            outcome,
            files: rounds.last().map(|r| r.files.clone()).unwrap_or_default(),
            rounds,
            usage,
            model: g.model.name().to_string(),
            context: prompt.context,
            report,
        })
    }

    /// Asks the model until it answers without tool calls, running the
    /// tools it asks for. Returns the answer's text, the usage, and
    /// whether the step limit stopped it.
    fn answer(
        &self,
        request: &mut crate::llm::Request,
        round: usize,
        emit: &mut dyn FnMut(Event) -> Result<()>,
    ) -> Result<(String, Usage, bool)> {
        let g = self.generator;
        let mut usage = Usage::default();
        for _ in 0..=g.max_steps {
            let mut pending: Result<()> = Ok(());
            self.cancel.check()?;
            let completion = g.model.stream_until(
                request,
                &mut |d| {
                    let event = match d {
                        Delta::Text { text, .. } => Event::Generating {
                            round,
                            text: text.clone(),
                        },
                        Delta::Retrying {
                            attempt,
                            wait_ms,
                            reason,
                        } => Event::Retrying {
                            round,
                            attempt: *attempt,
                            wait_ms: *wait_ms,
                            reason: reason.clone(),
                        },
                        Delta::ToolUse { .. } | Delta::ToolInput { .. } => {
                            return ControlFlow::Continue(())
                        }
                    };
                    match emit(event) {
                        Ok(()) => ControlFlow::Continue(()),
                        Err(e) => {
                            pending = Err(e);
                            ControlFlow::Break(())
                        }
                    }
                },
                &self.cancel,
            );
            pending?;
            let completion = completion?;
            usage += completion.usage;
            let calls: Vec<(String, String, serde_json::Value)> = completion
                .tool_calls()
                .map(|(id, name, input)| (id.to_string(), name.to_string(), input.clone()))
                .collect();
            request.messages.push(Message {
                role: Role::Assistant,
                content: completion.content.clone(),
            });
            if calls.is_empty() {
                return Ok((completion.text(), usage, false));
            }
            let mut results = Vec::new();
            for (id, name, input) in calls {
                emit(Event::ToolCall {
                    round,
                    id: id.clone(),
                    name: name.clone(),
                    input: input.clone(),
                })?;
                let (output, is_error) = g.tools.run(&name, &input);
                emit(Event::ToolResult {
                    round,
                    id: id.clone(),
                    name,
                    output: output.clone(),
                    is_error,
                })?;
                results.push(Content::ToolResult {
                    tool_use_id: id,
                    content: output,
                    is_error,
                });
            }
            request.messages.push(Message {
                role: Role::User,
                content: results,
            });
        }
        let last = request
            .messages
            .iter()
            .rev()
            .find(|m| m.role == Role::Assistant)
            .map(Message::text);
        Ok((last.unwrap_or_default(), usage, true))
    }
}

/// The message asking the model to fix what validation found.
fn correction(problems: &[Problem]) -> String {
    let mut text = String::from("Validation found these problems in your files:\n");
    for p in problems.iter().filter(|p| p.severity == Severity::Error) {
        text.push_str(&format!(
            "- {}:{}:{}: error[{}]: {}",
            p.file, p.line, p.column, p.code, p.message
        ));
        if let Some(fix) = &p.fix {
            text.push_str(&format!(" Suggested: {fix}."));
        }
        text.push('\n');
    }
    text.push_str(
        "\nReturn every file again, corrected, each in its own ```hcl block that names the file.",
    );
    text
}
