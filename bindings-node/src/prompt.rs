//! `prompt`: prompt assembly under a budget, conversation memory,
//! templates and redaction.

use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use infrarag::llm::{self, Role, ToolSpec};
use infrarag::prompt::{
    self, ContextItem, Conversation as CoreConversation, ModelSummariser, PromptBuilder, Template,
};

use crate::convert::{json, small, typed, Json};
use crate::error::{counted, invalid, js_error, thrown, whole, Code};
use crate::llm::{request_of, LanguageModel};
use crate::task::{job, Job};

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
pub fn build(env: Env, options: PromptOptions) -> Result<Value> {
    thrown(&env, || {
        let mut b = PromptBuilder::new();
        if let Some(name) = options.tokenizer.as_deref() {
            let tokenizer = infrarag::tokens::by_name(name).map_err(js_error)?;
            b = b.tokenizer(Arc::from(tokenizer));
        }
        if let Some(n) = counted("contextWindow", options.context_window)? {
            b = b.context_window(n);
        }
        if let Some(n) = counted("reserveOutput", options.reserve_output)? {
            b = b.reserve_output(n);
        }
        if let Some(on) = options.redact {
            b = b.redact(on);
        }
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
    })
}

/// The Anthropic Messages body for a request (`build(...).request`).
#[napi(
    namespace = "prompt",
    ts_args_type = "request: object, model: string",
    ts_return_type = "any"
)]
pub fn render_anthropic(env: Env, request: Value, model: String) -> Result<Value> {
    thrown(&env, || {
        Ok(llm::anthropic_body(&request_of(request)?, &model, false))
    })
}

/// The OpenAI Chat Completions body for a request.
#[napi(
    namespace = "prompt",
    ts_args_type = "request: object, model: string",
    ts_return_type = "any"
)]
pub fn render_openai(env: Env, request: Value, model: String) -> Result<Value> {
    thrown(&env, || {
        Ok(llm::openai_body(&request_of(request)?, &model, false))
    })
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
    env: Env,
    template: String,
    values: std::collections::HashMap<String, String>,
) -> Result<String> {
    thrown(&env, || {
        Template::parse(&template)
            .and_then(|t| t.render(values))
            .map_err(js_error)
    })
}

/// A chat's turns under a token budget, foldable into a summary; store it
/// per thread with `toJson` / `Conversation.fromJson`.
#[napi(namespace = "prompt")]
pub struct Conversation {
    inner: Arc<Mutex<CoreConversation>>,
}

impl Conversation {
    pub(crate) fn get(&self) -> Result<CoreConversation, Code> {
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
    pub fn new(env: Env, budget: f64, options: Option<ConversationOptions>) -> Result<Self> {
        thrown(&env, || {
            let mut c = CoreConversation::new(whole("budget", Some(budget), 0)?);
            if let Some(o) = options {
                if let Some(n) = counted("keepLatest", o.keep_latest)? {
                    c = c.with_keep_latest(n);
                }
                if let Some(t) = o.tokenizer {
                    c = c.with_tokenizer(t).map_err(js_error)?;
                }
            }
            Ok(Conversation {
                inner: Arc::new(Mutex::new(c)),
            })
        })
    }

    #[napi(factory)]
    pub fn from_json(env: Env, text: String) -> Result<Self> {
        thrown(&env, || {
            let c = CoreConversation::from_json(&text).map_err(js_error)?;
            Ok(Conversation {
                inner: Arc::new(Mutex::new(c)),
            })
        })
    }

    #[napi]
    pub fn to_json(&self, env: Env) -> Result<String> {
        thrown(&env, || Ok(self.get()?.to_json()))
    }

    /// Adds a turn (`role` is `user` or `assistant`); returns its tokens.
    #[napi]
    pub fn push(&self, env: Env, role: String, text: String) -> Result<u32> {
        thrown(&env, || {
            let role: Role = role.parse().map_err(js_error)?;
            let mut c = self
                .inner
                .lock()
                .map_err(|_| invalid("conversation", "poisoned".into()))?;
            c.push(role, text)
                .map(|t| t.tokens as u32)
                .map_err(js_error)
        })
    }

    /// The tokens the turns and summary may use.
    #[napi(getter)]
    pub fn budget(&self, env: Env) -> Result<u32> {
        thrown(&env, || Ok(small(self.get()?.budget)))
    }

    #[napi(getter)]
    pub fn tokens(&self, env: Env) -> Result<u32> {
        thrown(&env, || Ok(self.get()?.tokens() as u32))
    }

    #[napi(getter)]
    pub fn over_budget(&self, env: Env) -> Result<bool> {
        thrown(&env, || Ok(self.get()?.over_budget()))
    }

    #[napi(
        getter,
        ts_return_type = "Array<{ role: string, text: string, tokens: number }>"
    )]
    pub fn turns(&self, env: Env) -> Result<Value> {
        thrown(&env, || Ok(json(&self.get()?.turns)))
    }

    #[napi(
        getter,
        ts_return_type = "{ text: string, tokens: number, turns: number } | null"
    )]
    pub fn summary(&self, env: Env) -> Result<Value> {
        thrown(&env, || Ok(json(&self.get()?.summary)))
    }

    /// How many of the oldest turns should be folded now (0: it fits).
    /// Summarise `turns.slice(0, n)` with the `summary` so far, however you
    /// like (awaiting a model is fine), then call `fold(n, text)`.
    #[napi]
    pub fn foldable(&self, env: Env) -> Result<u32> {
        thrown(&env, || Ok(self.get()?.foldable() as u32))
    }

    /// Replaces the `n` oldest turns and the summary with `summary`.
    #[napi(ts_return_type = "{ folded: number, tokens_before: number, tokens_after: number }")]
    pub fn fold(&self, env: Env, n: f64, summary: String) -> Result<Value> {
        thrown(&env, || {
            let n = whole("n", Some(n), 0)?;
            let mut c = self
                .inner
                .lock()
                .map_err(|_| invalid("conversation", "poisoned".into()))?;
            c.fold(n, summary).map(|r| json(&r)).map_err(js_error)
        })
    }

    /// Folds with `model` writing the summary, off the main thread;
    /// resolves to what was folded, or null when it fit.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn compact(
        &self,
        model: &LanguageModel,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<Job<Json>> {
        let (conversation, model) = (self.inner.clone(), model.inner.clone());
        let poisoned = || invalid("conversation", "poisoned".into());
        job(signal, None, move || {
            let mut c = conversation.lock().map_err(|_| poisoned())?.clone();
            let done = c
                .compact(&ModelSummariser::new(model, 1024))
                .map_err(js_error)?;
            *conversation.lock().map_err(|_| poisoned())? = c;
            Ok(Json(json(&done)))
        })
    }
}
