//! `llm`, `prompt` and `pipeline`: language models, prompt assembly,
//! conversation memory and the generation loop, long calls on the libuv
//! pool, callbacks through threadsafe functions.

use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use infrarag::llm::{self, ChatModel, ChatModelBuilder, Fallback, Request, Role, ToolSpec};
use infrarag::pipeline::{Generator as CoreGenerator, Tool};
use infrarag::prompt::{
    self, ContextItem, Conversation as CoreConversation, ModelSummariser, PromptBuilder, Template,
};
use infrarag::validate::Validator;
use infrarag::Error;

use crate::convert::Json;
use crate::error::{js_error, whole, Code};
use crate::index::{read, Index, SharedIndex};
use crate::js_store::{Bound, Returned};
use crate::task::{abortable, kept, reject_with_code};

fn invalid(name: &str, message: String) -> napi::Error<Code> {
    js_error(Error::InvalidArgument {
        name: name.into(),
        message,
    })
}

fn typed<T: serde::de::DeserializeOwned>(name: &str, v: Value) -> Result<T, Code> {
    serde_json::from_value(v).map_err(|e| invalid(name, e.to_string()))
}

fn json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// How to reach a hosted model.
#[napi(object, namespace = "llm")]
pub struct ChatOptions {
    pub api_key: Option<String>,
    /// `https://api.anthropic.com` / `https://api.openai.com/v1` by default.
    pub base_url: Option<String>,
    /// Seconds to wait for a connection, the response, or the next piece
    /// of a stream (default 120).
    pub timeout: Option<f64>,
    /// Retries after 408/409/429/5xx/529 or a lost connection (default 4).
    pub max_retries: Option<f64>,
    /// First and longest wait between retries, in seconds (1 and 60),
    /// unless the server sends `Retry-After`.
    pub backoff: Option<f64>,
    pub max_backoff: Option<f64>,
    /// The longest `Retry-After` waited for, in seconds (default 60); a
    /// server asking for longer rejects at once with PROVIDER_ERROR whose
    /// `retryAfter` is the wait asked for.
    pub max_retry_after: Option<f64>,
}

fn seconds(name: &str, v: Option<f64>, default: f64) -> Result<Duration, Code> {
    let v = v.unwrap_or(default);
    Duration::try_from_secs_f64(v)
        .map_err(|_| invalid(name, format!("{v} is not a number of seconds")))
}

fn configured(b: ChatModelBuilder, o: Option<ChatOptions>) -> Result<LanguageModel, Code> {
    let o = o.unwrap_or(ChatOptions {
        api_key: None,
        base_url: None,
        timeout: None,
        max_retries: None,
        backoff: None,
        max_backoff: None,
        max_retry_after: None,
    });
    let mut b = b
        .timeout(seconds("timeout", o.timeout, 120.0)?)
        .max_retries(whole("maxRetries", o.max_retries, 4)? as u32)
        .backoff(
            seconds("backoff", o.backoff, 1.0)?,
            seconds("maxBackoff", o.max_backoff, 60.0)?,
        )
        .max_retry_after(seconds("maxRetryAfter", o.max_retry_after, 60.0)?);
    if let Some(k) = o.api_key {
        b = b.api_key(k);
    }
    if let Some(u) = o.base_url {
        b = b.base_url(u);
    }
    Ok(LanguageModel {
        inner: Arc::new(b.build().map_err(js_error)?),
    })
}

fn request_of(v: Value) -> Result<Request, Code> {
    Request::from_json(v).map_err(js_error)
}

/// Gives `value` to a listener and waits until it has run, so every event
/// is seen, in order, before the Promise settles; a throw stops the work.
fn deliver(
    listener: &Option<Arc<Bound>>,
    value: Value,
    threw: &mut Option<String>,
) -> ControlFlow<()> {
    match listener.as_ref().map(|f| f.call_value(value)) {
        Some(Err(message)) => {
            threw.get_or_insert(message);
            ControlFlow::Break(())
        }
        _ => ControlFlow::Continue(()),
    }
}

/// The rejection for a listener that threw: code CANCELLED, naming it.
fn callback_error(name: &str, threw: Option<String>) -> Result<(), Code> {
    match threw {
        Some(message) => Err(napi::Error::new(
            Code::plain("CANCELLED"),
            format!("{name} threw: {message}"),
        )),
        None => Ok(()),
    }
}

fn listener(name: &str, f: Option<Function<Value, Returned>>) -> Result<Option<Arc<Bound>>> {
    f.map(|f| Bound::function(name.into(), &f).map(Arc::new))
        .transpose()
}

/// A model that answers requests: Anthropic, an OpenAI-compatible
/// endpoint, or the offline fallback.
#[napi(namespace = "llm")]
pub struct LanguageModel {
    inner: Arc<dyn llm::LanguageModel>,
}

#[napi(namespace = "llm")]
impl LanguageModel {
    /// Anthropic's Messages API.
    #[napi(factory)]
    pub fn anthropic(model: String, options: Option<ChatOptions>) -> Result<Self, Code> {
        configured(ChatModel::anthropic(model), options)
    }

    /// An OpenAI-compatible Chat Completions API.
    #[napi(factory)]
    pub fn openai(model: String, options: Option<ChatOptions>) -> Result<Self, Code> {
        configured(ChatModel::openai(model), options)
    }

    /// The offline, deterministic fallback; every answer says it is one.
    #[napi(factory)]
    pub fn fallback() -> Self {
        LanguageModel {
            inner: Arc::new(Fallback::new()),
        }
    }

    /// Anthropic when `ANTHROPIC_API_KEY` is set, else OpenAI when
    /// `OPENAI_API_KEY` is, else the fallback.
    #[napi(factory)]
    pub fn from_env(model: Option<String>) -> Result<Self, Code> {
        Ok(LanguageModel {
            inner: llm::from_env(model.as_deref()).map_err(js_error)?,
        })
    }

    #[napi(getter)]
    pub fn name(&self) -> String {
        self.inner.name().to_string()
    }

    /// Answers `request` off the main thread; `onDelta` receives each
    /// streamed piece (`{type: 'text' | 'tool_use' | 'tool_input', ...}`),
    /// and `{type: 'retrying', attempt, wait_ms, reason}` about once a
    /// second while a failed attempt waits to be retried, each before the
    /// Promise settles; a throw stops the call (CANCELLED).
    /// Rejects with `code` PROVIDER_ERROR (and `status`, `requestId`) when
    /// the service fails.
    #[napi(
        ts_args_type = "request: string | object, onDelta?: (delta: Delta) => void, signal?: AbortSignal",
        ts_return_type = "Promise<Completion>"
    )]
    pub fn complete(
        &self,
        request: Value,
        on_delta: Option<Function<Value, Returned>>,
        signal: Option<AbortSignal>,
    ) -> Result<AsyncTask<CompleteTask>> {
        let cancel = infrarag::CancelToken::new();
        let task = CompleteTask {
            model: self.inner.clone(),
            request,
            on_delta: listener("onDelta", on_delta)?,
            cancel: cancel.clone(),
            failure: None,
        };
        Ok(abortable(task, signal, Some(&cancel)))
    }
}

pub struct CompleteTask {
    model: Arc<dyn llm::LanguageModel>,
    request: Value,
    on_delta: Option<Arc<Bound>>,
    cancel: infrarag::CancelToken,
    failure: Option<napi::Error<Code>>,
}

impl Task for CompleteTask {
    type Output = Value;
    type JsValue = Json;

    fn compute(&mut self) -> Result<Self::Output> {
        let out = request_of(self.request.take()).and_then(|r| {
            let mut threw = None;
            let done = self.model.stream_until(
                &r,
                &mut |d| deliver(&self.on_delta, json(d), &mut threw),
                &self.cancel,
            );
            callback_error("onDelta", threw)?;
            done.map(|c| json(&c)).map_err(js_error)
        });
        kept(&mut self.failure, out)
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(Json(output))
    }

    fn reject(&mut self, env: Env, err: napi::Error) -> Result<Self::JsValue> {
        reject_with_code(env, err, self.failure.take())
    }
}

/// What a prompt is made of.
#[napi(object, namespace = "prompt")]
pub struct PromptOptions {
    pub user: Option<String>,
    /// Strings, or `{ text, cache }` where `cache` ends a prefix Anthropic
    /// may cache.
    #[napi(ts_type = "Array<string | { text: string, cache?: boolean }>")]
    pub system: Option<Vec<Value>>,
    pub task: Option<String>,
    /// Best first: `index.Hit`s' `{ citation, chunk }`, or `{ citation,
    /// text, address?, language? }`.
    #[napi(ts_type = "Array<object>")]
    pub context: Option<Vec<Value>>,
    pub conversation: Option<ClassInstance<'static, Conversation>>,
    /// `{ name, description, parameters }` with a JSON schema.
    #[napi(ts_type = "Array<object>")]
    pub tools: Option<Vec<Value>>,
    /// Default 200000.
    pub context_window: Option<f64>,
    /// Default 4096; also the request's `max_tokens`.
    pub reserve_output: Option<f64>,
    /// Default `cl100k_base`.
    pub tokenizer: Option<String>,
    /// Replace secrets (default true).
    pub redact: Option<bool>,
    pub temperature: Option<f64>,
}

/// Assembles a prompt under the budget (`contextWindow - reserveOutput`).
/// When not everything fits, the oldest history turns go first, then the
/// summary, then context from the lowest-ranked, then the task is cut;
/// `omitted` lists them. Returns `{ request, budget, tokens, context,
/// omitted, redactions }`; render `request` with `renderAnthropic` /
/// `renderOpenai`.
#[napi(namespace = "prompt", ts_return_type = "any")]
pub fn build(options: PromptOptions) -> Result<Value, Code> {
    let tokenizer =
        infrarag::tokens::by_name(options.tokenizer.as_deref().unwrap_or("cl100k_base"))
            .map_err(js_error)?;
    let mut b = PromptBuilder::new()
        .tokenizer(Arc::from(tokenizer))
        .context_window(whole("contextWindow", options.context_window, 200_000)?)
        .reserve_output(whole("reserveOutput", options.reserve_output, 4096)?)
        .redact(options.redact.unwrap_or(true));
    for part in options.system.unwrap_or_default() {
        b = match part {
            Value::String(s) => b.system(s, false),
            other => {
                let text = other
                    .get("text")
                    .and_then(Value::as_str)
                    .ok_or_else(|| invalid("system", "a part needs `text`".into()))?;
                b.system(
                    text,
                    other.get("cache").and_then(Value::as_bool).unwrap_or(false),
                )
            }
        };
    }
    let context = options
        .context
        .unwrap_or_default()
        .into_iter()
        .map(|v| ContextItem::from_json(&v).map_err(js_error))
        .collect::<Result<Vec<_>, _>>()?;
    let tools: Vec<ToolSpec> = typed("tools", Value::Array(options.tools.unwrap_or_default()))?;
    b = b.context(context).tools(tools);
    if let Some(u) = options.user {
        b = b.user(u);
    }
    if let Some(t) = options.task {
        b = b.task(t);
    }
    if let Some(t) = options.temperature {
        b = b.temperature(t as f32);
    }
    if let Some(c) = &options.conversation {
        b = b.history(&c.get()?);
    }
    let p = b.build().map_err(js_error)?;
    Ok(json(&p))
}

/// The Anthropic Messages body for a request (`build(...).request`).
#[napi(
    namespace = "prompt",
    ts_args_type = "request: object, model: string",
    ts_return_type = "any"
)]
pub fn render_anthropic(request: Value, model: String) -> Result<Value, Code> {
    Ok(llm::anthropic_body(&request_of(request)?, &model, false))
}

/// The OpenAI Chat Completions body for a request.
#[napi(
    namespace = "prompt",
    ts_args_type = "request: object, model: string",
    ts_return_type = "any"
)]
pub fn render_openai(request: Value, model: String) -> Result<Value, Code> {
    Ok(llm::openai_body(&request_of(request)?, &model, false))
}

/// `text` with secrets replaced, and what was replaced.
#[napi(
    namespace = "prompt",
    ts_return_type = "{ text: string, redactions: Array<any> }"
)]
pub fn redact(text: String) -> Value {
    let (out, found) = prompt::redact(&text);
    serde_json::json!({ "text": out, "redactions": found })
}

/// Fills `{{name}}` slots; a missing value throws INVALID_ARGUMENT.
#[napi(namespace = "prompt")]
pub fn render_template(
    template: String,
    values: std::collections::HashMap<String, String>,
) -> Result<String, Code> {
    Template::parse(&template)
        .and_then(|t| t.render(values))
        .map_err(js_error)
}

/// A chat's turns under a token budget, foldable into a summary; store it
/// per thread with `toJson` / `Conversation.fromJson`.
#[napi(namespace = "prompt")]
pub struct Conversation {
    inner: Arc<Mutex<CoreConversation>>,
}

impl Conversation {
    fn get(&self) -> Result<CoreConversation, Code> {
        self.inner
            .lock()
            .map(|c| c.clone())
            .map_err(|_| invalid("conversation", "poisoned".into()))
    }
}

#[napi(object, namespace = "prompt")]
pub struct ConversationOptions {
    /// Turns kept verbatim when folding (default 4).
    pub keep_latest: Option<f64>,
    pub tokenizer: Option<String>,
}

#[napi(namespace = "prompt")]
impl Conversation {
    #[napi(constructor)]
    pub fn new(budget: f64, options: Option<ConversationOptions>) -> Result<Self, Code> {
        let mut c = CoreConversation::new(whole("budget", Some(budget), 0)?);
        if let Some(o) = options {
            if o.keep_latest.is_some() {
                c = c.with_keep_latest(whole("keepLatest", o.keep_latest, 4)?);
            }
            if let Some(t) = o.tokenizer {
                c = c.with_tokenizer(t).map_err(js_error)?;
            }
        }
        Ok(Conversation {
            inner: Arc::new(Mutex::new(c)),
        })
    }

    #[napi(factory)]
    pub fn from_json(text: String) -> Result<Self, Code> {
        let c = CoreConversation::from_json(&text).map_err(js_error)?;
        Ok(Conversation {
            inner: Arc::new(Mutex::new(c)),
        })
    }

    #[napi]
    pub fn to_json(&self) -> Result<String, Code> {
        Ok(self.get()?.to_json())
    }

    /// Adds a turn (`role` is `user` or `assistant`); returns its tokens.
    #[napi]
    pub fn push(&self, role: String, text: String) -> Result<u32, Code> {
        let role = match role.as_str() {
            "user" => Role::User,
            "assistant" => Role::Assistant,
            other => {
                return Err(invalid(
                    "role",
                    format!("{other:?} is not \"user\" or \"assistant\""),
                ))
            }
        };
        let mut c = self
            .inner
            .lock()
            .map_err(|_| invalid("conversation", "poisoned".into()))?;
        c.push(role, text)
            .map(|t| t.tokens as u32)
            .map_err(js_error)
    }

    #[napi(getter)]
    pub fn tokens(&self) -> Result<u32, Code> {
        Ok(self.get()?.tokens() as u32)
    }

    #[napi(getter)]
    pub fn over_budget(&self) -> Result<bool, Code> {
        Ok(self.get()?.over_budget())
    }

    #[napi(
        getter,
        ts_return_type = "Array<{ role: string, text: string, tokens: number }>"
    )]
    pub fn turns(&self) -> Result<Value, Code> {
        Ok(json(&self.get()?.turns))
    }

    #[napi(
        getter,
        ts_return_type = "{ text: string, tokens: number, turns: number } | null"
    )]
    pub fn summary(&self) -> Result<Value, Code> {
        Ok(json(&self.get()?.summary))
    }

    /// How many of the oldest turns should be folded now (0: it fits).
    /// Summarise `turns.slice(0, n)` with the `summary` so far, however you
    /// like (awaiting a model is fine), then call `fold(n, text)`.
    #[napi]
    pub fn foldable(&self) -> Result<u32, Code> {
        Ok(self.get()?.foldable() as u32)
    }

    /// Replaces the `n` oldest turns and the summary with `summary`.
    #[napi(ts_return_type = "{ folded: number, tokens_before: number, tokens_after: number }")]
    pub fn fold(&self, n: f64, summary: String) -> Result<Value, Code> {
        let n = whole("n", Some(n), 0)?;
        let mut c = self
            .inner
            .lock()
            .map_err(|_| invalid("conversation", "poisoned".into()))?;
        c.fold(n, summary).map(|r| json(&r)).map_err(js_error)
    }

    /// Folds with `model` writing the summary, off the main thread;
    /// resolves to what was folded, or null when it fit.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn compact(
        &self,
        model: &LanguageModel,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<CompactTask> {
        let task = CompactTask {
            conversation: self.inner.clone(),
            model: model.inner.clone(),
            failure: None,
        };
        abortable(task, signal, None)
    }
}

pub struct CompactTask {
    conversation: Arc<Mutex<CoreConversation>>,
    model: Arc<dyn llm::LanguageModel>,
    failure: Option<napi::Error<Code>>,
}

impl Task for CompactTask {
    type Output = Value;
    type JsValue = Json;

    fn compute(&mut self) -> Result<Self::Output> {
        let out = (|| {
            let mut c = self
                .conversation
                .lock()
                .map_err(|_| invalid("conversation", "poisoned".into()))?
                .clone();
            let done = c
                .compact(&ModelSummariser::new(self.model.clone(), 1024))
                .map_err(js_error)?;
            *self
                .conversation
                .lock()
                .map_err(|_| invalid("conversation", "poisoned".into()))? = c;
            Ok(json(&done))
        })();
        kept(&mut self.failure, out)
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(Json(output))
    }

    fn reject(&mut self, env: Env, err: napi::Error) -> Result<Self::JsValue> {
        reject_with_code(env, err, self.failure.take())
    }
}

/// A JS function the model may call, run on the main thread while the
/// loop waits on a worker.
struct JsTool {
    spec: ToolSpec,
    function: Bound,
}

impl Tool for JsTool {
    fn spec(&self) -> ToolSpec {
        self.spec.clone()
    }

    fn call(&self, input: &Value) -> infrarag::Result<String> {
        let out = self
            .function
            .call_value(input.clone())
            .map_err(|message| Error::Tool {
                name: self.spec.name.clone(),
                message,
            })?;
        Ok(match out {
            Value::String(s) => s,
            other => other.to_string(),
        })
    }
}

/// A tool: its JSON-schema `parameters` describe the one object `fn`
/// receives; `fn` returns a string or JSON-able value (not a Promise), and
/// what it throws reaches the model as a failed call.
#[napi(object, namespace = "pipeline")]
pub struct ToolOptions {
    pub name: String,
    pub description: String,
    #[napi(ts_type = "object")]
    pub parameters: Value,
    #[napi(js_name = "fn", ts_type = "(input: any) => any")]
    pub function: Function<'static, Value, Returned>,
}

#[napi(object, namespace = "pipeline")]
pub struct GeneratorOptions {
    pub tools: Option<Vec<ToolOptions>>,
    /// Corrections after the first answer (default 3).
    pub max_rounds: Option<f64>,
    /// Model calls per answer that may ask for tools (default 8).
    pub max_steps: Option<f64>,
    /// Context hits retrieved (default 6).
    pub k: Option<f64>,
    pub checks: Option<Vec<String>>,
    pub skip_checks: Option<Vec<String>>,
    pub system: Option<String>,
    pub context_window: Option<f64>,
    pub reserve_output: Option<f64>,
}

/// The generation loop: retrieve → prompt → generate (calling tools) →
/// validate → correct, with events.
#[napi(namespace = "pipeline")]
pub struct Generator {
    inner: Arc<CoreGenerator>,
}

#[napi(object, namespace = "pipeline")]
pub struct GenerateOptions {
    #[napi(ts_type = "index.Index")]
    pub index: Option<ClassInstance<'static, Index>>,
    #[napi(ts_type = "Array<object>")]
    pub context: Option<Vec<Value>>,
    /// The chat so far, packed into the prompt as history; read, not changed:
    /// record the turn yourself (`push('user', task)`, then
    /// `push('assistant', result.rounds.at(-1).answer)`).
    pub conversation: Option<ClassInstance<'static, Conversation>>,
    /// Receives each event (`{type: 'retrieved' | 'prompt_built' |
    /// 'generating' | 'retrying' | 'tool_call' | 'tool_result' | 'validated' |
    /// 'correcting' | 'done' | 'failed', ...}`) on the main thread; `retrying`
    /// repeats about once a second while a failed call waits. The loop
    /// waits for it, so every event has been seen when the Promise settles;
    /// a throw stops the loop, which rejects with code CANCELLED.
    #[napi(ts_type = "(event: PipelineEvent) => void")]
    pub on_event: Option<Function<'static, Value, Returned>>,
}

#[napi(namespace = "pipeline")]
impl Generator {
    #[napi(constructor)]
    pub fn new(model: &LanguageModel, options: Option<GeneratorOptions>) -> Result<Self, Code> {
        let mut g = CoreGenerator::new(model.inner.clone());
        if let Some(o) = options {
            let mut validator = Validator::new();
            if let Some(c) = o.checks {
                validator = validator.with_checks(c);
            }
            if let Some(s) = o.skip_checks {
                validator = validator.skip_checks(s);
            }
            validator.verify_checks().map_err(js_error)?;
            g = g
                .validator(validator)
                .max_rounds(whole("maxRounds", o.max_rounds, 3)?)
                .max_steps(whole("maxSteps", o.max_steps, 8)?)
                .k(whole("k", o.k, 6)?)
                .context_window(
                    whole("contextWindow", o.context_window, 200_000)?,
                    whole("reserveOutput", o.reserve_output, 8192)?,
                );
            if let Some(s) = o.system {
                g = g.system(s);
            }
            for t in o.tools.unwrap_or_default() {
                let function = Bound::function(t.name.clone(), &t.function)
                    .map_err(|e| invalid("tools", e.reason))?;
                g = g.tool(Arc::new(JsTool {
                    spec: ToolSpec {
                        name: t.name,
                        description: t.description,
                        parameters: t.parameters,
                    },
                    function,
                }));
            }
        }
        Ok(Generator { inner: Arc::new(g) })
    }

    /// Runs the loop off the main thread; resolves to `{ outcome, files,
    /// rounds, usage, model, context }` (`outcome`: valid, invalid,
    /// no_code or step_limit). Aborting `signal` stops it before its next
    /// model call and abandons the one in flight (CANCELLED).
    #[napi(ts_return_type = "Promise<GenerationResult>")]
    pub fn generate(
        &self,
        task: String,
        options: Option<GenerateOptions>,
        signal: Option<AbortSignal>,
    ) -> Result<AsyncTask<GenerateTask>> {
        let (mut index, mut context, mut history, mut on_event) = (None, Vec::new(), None, None);
        if let Some(o) = options {
            index = o.index.map(|i| i.inner.clone());
            context = o.context.unwrap_or_default();
            history = o
                .conversation
                .map(|c| c.get())
                .transpose()
                .map_err(|e| napi::Error::new(Status::InvalidArg, e.reason))?;
            on_event = listener("onEvent", o.on_event)?;
        }
        let cancel = infrarag::CancelToken::new();
        let task = GenerateTask {
            generator: self.inner.clone(),
            task,
            index,
            context,
            history,
            on_event,
            cancel: cancel.clone(),
            failure: None,
        };
        Ok(abortable(task, signal, Some(&cancel)))
    }
}

pub struct GenerateTask {
    generator: Arc<CoreGenerator>,
    task: String,
    index: Option<SharedIndex>,
    context: Vec<Value>,
    history: Option<CoreConversation>,
    on_event: Option<Arc<Bound>>,
    cancel: infrarag::CancelToken,
    failure: Option<napi::Error<Code>>,
}

impl Task for GenerateTask {
    type Output = Value;
    type JsValue = Json;

    fn compute(&mut self) -> Result<Self::Output> {
        let out = (|| {
            // The index is locked only while searching, so its sync methods
            // stay usable during the (long) generation.
            let mut context = match &self.index {
                Some(i) => read(i, |index| self.generator.retrieve(index, &self.task))?
                    .map_err(js_error)?,
                None => Vec::new(),
            };
            for item in std::mem::take(&mut self.context) {
                context.push(ContextItem::from_json(&item).map_err(js_error)?);
            }
            let mut threw = None;
            let on_event = self.on_event.clone();
            let mut run = self
                .generator
                .generate(&self.task)
                .context(context)
                .cancel(self.cancel.clone())
                .on_event(|e| deliver(&on_event, json(e), &mut threw));
            if let Some(h) = &self.history {
                run = run.history(h);
            }
            let out = run.execute();
            callback_error("onEvent", threw)?;
            out.map(|g| json(&g)).map_err(js_error)
        })();
        kept(&mut self.failure, out)
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(Json(output))
    }

    fn reject(&mut self, env: Env, err: napi::Error) -> Result<Self::JsValue> {
        reject_with_code(env, err, self.failure.take())
    }
}
