//! `pipeline`: the generate → validate → correct loop with JS tools and
//! listeners, run on the libuv pool.

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use infrarag::llm::ToolSpec;
use infrarag::pipeline::{Generator as CoreGenerator, Tool};
use infrarag::prompt::ContextItem;
use infrarag::validate::Validator;
use infrarag::Error;

use crate::convert::{json, Json};
use crate::error::{counted, invalid, js_error, thrown};
use crate::index::{read, Index};
use crate::js_store::{Bound, Returned};
use crate::listener::{callback_error, deliver, listener};
use crate::llm::LanguageModel;
use crate::prompt::Conversation;
use crate::task::{job, Job};

/// A JS function the model may call, run on the main thread while the
/// loop waits on a worker.
pub(crate) struct JsTool {
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
            .map_err(|thrown| Error::Tool {
                name: self.spec.name.clone(),
                message: thrown.reason.clone(),
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
    #[napi(ts_type = "prompt.Conversation")]
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
    /// The model's name.
    #[napi(getter)]
    pub fn model(&self) -> String {
        self.inner.model().name().to_string()
    }

    #[napi(constructor)]
    pub fn new(env: Env, model: &LanguageModel, options: Option<GeneratorOptions>) -> Result<Self> {
        thrown(&env, || {
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
                g = g.validator(validator);
                if let Some(n) = counted("maxRounds", o.max_rounds)? {
                    g = g.max_rounds(n);
                }
                if let Some(n) = counted("maxSteps", o.max_steps)? {
                    g = g.max_steps(n);
                }
                if let Some(n) = counted("k", o.k)? {
                    g = g.k(n);
                }
                if let Some(n) = counted("contextWindow", o.context_window)? {
                    g = g.context_window(n);
                }
                if let Some(n) = counted("reserveOutput", o.reserve_output)? {
                    g = g.reserve_output(n);
                }
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
        })
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
    ) -> Result<AsyncTask<Job<Json>>> {
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
        let (generator, token) = (self.inner.clone(), cancel.clone());
        Ok(job(signal, Some(&cancel), move || {
            // The index is read only while searching, so its sync methods
            // stay usable during the (long) generation.
            let mut items = match &index {
                Some(i) => read(i, |index| generator.retrieve(index, &task))?.map_err(js_error)?,
                None => Vec::new(),
            };
            for item in &context {
                items.push(ContextItem::from_json(item).map_err(js_error)?);
            }
            let mut threw = None;
            let mut run = generator
                .generate(&task)
                .context(items)
                .cancel(token)
                .on_event(|e| deliver(&on_event, json(e), &mut threw));
            if let Some(h) = &history {
                run = run.history(h);
            }
            let out = run.execute();
            callback_error(threw)?;
            out.map(|g| Json(json(&g))).map_err(js_error)
        }))
    }
}
