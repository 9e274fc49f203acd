//! `collect.Scheduler`: jobs that are JS functions (sync or async, called
//! on the main thread) or collections, run on the core scheduler's threads.

use std::sync::{mpsc, Arc};
use std::time::{Duration, UNIX_EPOCH};

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use serde_json::Value;

use infrarag::collect::{Caller, Run, Scheduler as CoreScheduler, Trigger};

use crate::collect::CollectionService;
use crate::convert::{json, Json};
use crate::error::{js_error, thrown};
use crate::task::{job, Job};

/// When a job fires: `every` seconds (each fire moved later by up to
/// `jitter` seconds, the same for the same job and fire), or a `cron`
/// expression in time zone `tz` (IANA, default UTC): five fields, six with
/// seconds first, seven with a year; `L`, `W`, `#`, `@daily`-style macros.
#[napi(object, namespace = "collect")]
pub struct TriggerOptions {
    pub every: Option<f64>,
    pub jitter: Option<f64>,
    pub cron: Option<String>,
    pub tz: Option<String>,
}

/// What a collection job collects: each method on each host, through the
/// service, as `actor` (default `scheduler`) and `reason`.
#[napi(object, namespace = "collect")]
pub struct CollectionTargets {
    pub hosts: Vec<String>,
    pub methods: Vec<String>,
    pub actor: Option<String>,
    pub reason: Option<String>,
}

/// A job's next fire time.
#[napi(object, namespace = "collect")]
pub struct Upcoming {
    pub job: String,
    /// Milliseconds since the epoch.
    pub at_ms: f64,
}

/// The scheduler's listener and pool size.
#[napi(object, namespace = "collect")]
pub struct SchedulerOptions {
    /// Called with each run as it ends or is skipped.
    #[napi(ts_type = "(run: ScheduledRun) => void")]
    pub on_run: Option<Function<'static, Value, ()>>,
    /// Runs going on at once (default 16); more due wait their turn.
    pub workers: Option<u32>,
}

/// What a job function returned, kept raw so that a Promise can be waited
/// on in the same call.
pub struct Raw(sys::napi_env, sys::napi_value);

impl FromNapiValue for Raw {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> Result<Self> {
        Ok(Raw(env, value))
    }
}

type JobFunction = ThreadsafeFunction<Value, Raw, Value, Status, false, true>;

/// What a thrown or rejected value says.
fn said(value: Unknown<'_>) -> String {
    value
        .coerce_to_string()
        .and_then(|s| s.into_utf8())
        .and_then(|s| s.into_owned())
        .unwrap_or_else(|_| "the job failed".into())
}

/// Calls the job on the main thread and waits for it, and for the Promise
/// it returns, to settle.
fn run_js(function: &JobFunction) -> std::result::Result<(), String> {
    let (tx, rx) = mpsc::sync_channel::<std::result::Result<(), String>>(1);
    let status = function.call_with_return_value(
        Value::Null,
        ThreadsafeFunctionCallMode::Blocking,
        move |result: Result<Raw>, _env| {
            let Raw(env, value) = match result {
                Ok(raw) => raw,
                Err(e) => {
                    let _ = tx.send(Err(e.reason.clone()));
                    return Ok(());
                }
            };
            // SAFETY: `env` and `value` are this call's, used before it returns.
            let unknown = unsafe { Unknown::from_raw_unchecked(env, value) };
            if !unknown.is_promise()? {
                let _ = tx.send(Ok(()));
                return Ok(());
            }
            // SAFETY: as above; the value is a Promise.
            let promise: PromiseRaw<'_, Unknown<'_>> =
                unsafe { PromiseRaw::from_napi_value(env, value)? };
            let (resolved, rejected) = (tx.clone(), tx);
            promise
                .then(move |_| {
                    let _ = resolved.send(Ok(()));
                    Ok(())
                })?
                .catch(move |ctx: CallbackContext<Unknown<'_>>| {
                    let _ = rejected.send(Err(said(ctx.value)));
                    Ok(())
                })?;
            Ok(())
        },
    );
    if status != Status::Ok {
        return Err(format!("the job cannot be called ({status})"));
    }
    rx.recv()
        .unwrap_or_else(|_| Err("the JS thread stopped before the job settled".into()))
}

/// Runs jobs on intervals or cron expressions, each run on a thread of its
/// own; a run still going when its job is due again is skipped and
/// reported. JS job functions run on the main thread (an async one is
/// waited for until its Promise settles).
#[napi(namespace = "collect")]
pub struct Scheduler {
    inner: Arc<CoreScheduler>,
}

fn trigger(o: &TriggerOptions) -> infrarag::Result<Trigger> {
    Trigger::from_options(o.every, o.jitter, o.cron.as_deref(), o.tz.as_deref())
}

#[napi(namespace = "collect")]
impl Scheduler {
    #[napi(constructor)]
    pub fn new(options: Option<SchedulerOptions>) -> Result<Self> {
        let mut inner = CoreScheduler::new();
        let (on_run, workers) = match options {
            Some(o) => (o.on_run, o.workers),
            None => (None, None),
        };
        if let Some(n) = workers {
            inner = inner.workers(n as usize);
        }
        if let Some(listener) = on_run {
            let tsfn: ThreadsafeFunction<Value, (), Value, Status, false, true> = listener
                .build_threadsafe_function::<Value>()
                .callee_handled::<false>()
                .weak::<true>()
                .build()?;
            inner.on_run(move |run: &Run| {
                tsfn.call(json(run), ThreadsafeFunctionCallMode::NonBlocking);
            });
        }
        Ok(Scheduler {
            inner: Arc::new(inner),
        })
    }

    /// Adds job `name` calling `job`; what it throws (or its Promise
    /// rejects with) is the run's error. Throws INVALID_ARGUMENT for a
    /// taken name, a bad trigger, or an expression that never fires.
    #[napi]
    pub fn add(
        &self,
        env: Env,
        name: String,
        #[napi(ts_arg_type = "() => unknown")] job: Function<'static, Value, Raw>,
        when: TriggerOptions,
    ) -> Result<()> {
        let function: JobFunction = job
            .build_threadsafe_function::<Value>()
            .callee_handled::<false>()
            .weak::<true>()
            .build()?;
        thrown(&env, || {
            let trigger = trigger(&when).map_err(js_error)?;
            self.inner
                .add(name, trigger, move |_| run_js(&function))
                .map_err(js_error)
        })
    }

    /// Adds job `name` collecting each method on each host through
    /// `service` (its cache, limits and audit trail), up to eight at once;
    /// a run fails when any collection does, naming each.
    #[napi]
    pub fn add_collection(
        &self,
        env: Env,
        name: String,
        service: &CollectionService,
        targets: CollectionTargets,
        when: TriggerOptions,
    ) -> Result<()> {
        thrown(&env, || {
            let trigger = trigger(&when).map_err(js_error)?;
            let pairs = targets
                .hosts
                .iter()
                .flat_map(|h| targets.methods.iter().map(move |m| (h.clone(), m.clone())))
                .collect();
            let caller = Caller::new(
                targets.actor.clone().unwrap_or_else(|| "scheduler".into()),
                targets.reason.clone().unwrap_or_default(),
            );
            self.inner
                .add_collection(name, trigger, service.service(), pairs, caller)
                .map_err(js_error)
        })
    }

    /// Removes job `name`; whether it was there.
    #[napi]
    pub fn remove(&self, name: String) -> bool {
        self.inner.remove(&name)
    }

    /// The jobs' names, sorted.
    #[napi(getter)]
    pub fn jobs(&self) -> Vec<String> {
        self.inner.jobs()
    }

    /// The next `n` (default 1) fire times of each job, soonest first.
    #[napi]
    pub fn upcoming(&self, env: Env, n: Option<u32>) -> Result<Vec<Upcoming>> {
        thrown(&env, || {
            let fires = self
                .inner
                .upcoming(n.unwrap_or(1) as usize)
                .map_err(js_error)?;
            Ok(fires
                .into_iter()
                .map(|(job, at)| Upcoming {
                    job,
                    at_ms: at
                        .duration_since(UNIX_EPOCH)
                        .unwrap_or_default()
                        .as_millis() as f64,
                })
                .collect())
        })
    }

    /// The runs so far, oldest first (the last 10,000).
    #[napi(ts_return_type = "Array<ScheduledRun>")]
    pub fn history(&self) -> Value {
        json(&self.inner.history())
    }

    /// Runs the jobs in real time on a thread of the scheduler's own, until
    /// `shutdown`.
    #[napi]
    pub fn start(&self, env: Env) -> Result<()> {
        thrown(&env, || self.inner.start().map_err(js_error))
    }

    /// Stops firing jobs, waits up to `timeout` seconds (default 30) for
    /// runs going on, off the main thread (which JS jobs need), and reports
    /// those still going as cancelled (collection jobs stop between
    /// collections). `signal` abandons the wait, not the shutdown.
    #[napi(ts_return_type = "Promise<ShutdownReport>")]
    pub fn shutdown(
        &self,
        timeout: Option<f64>,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<Job<Json>> {
        let inner = self.inner.clone();
        job(signal, None, move || {
            let timeout =
                infrarag::http::seconds("timeout", timeout.unwrap_or(30.0)).map_err(js_error)?;
            Ok(Json(json(
                &inner.shutdown(timeout.min(Duration::from_secs(86_400))),
            )))
        })
    }

    /// `shutdown`, blocking this thread: a JS job still going cannot end
    /// meanwhile, so it is waited for until the timeout and cancelled.
    #[napi(ts_return_type = "ShutdownReport")]
    pub fn shutdown_sync(&self, env: Env, timeout: Option<f64>) -> Result<Value> {
        thrown(&env, || {
            let timeout =
                infrarag::http::seconds("timeout", timeout.unwrap_or(30.0)).map_err(js_error)?;
            Ok(json(
                &self
                    .inner
                    .shutdown(timeout.min(Duration::from_secs(86_400))),
            ))
        })
    }
}
