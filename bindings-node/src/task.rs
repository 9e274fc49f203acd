//! What every Promise method shares: the caller's `AbortSignal`, and a
//! core failure kept until it can be built into a JS error on the JS thread.

use napi::bindgen_prelude::*;

use crate::error::{coded, unpanicked, Code};

/// A Promise method's task under the caller's `AbortSignal`: aborted
/// before the work starts, the Promise rejects with an `AbortError`; after,
/// `cancel` (where the work has one) is set and it rejects with CANCELLED
/// at the work's next check.
pub(crate) fn abortable<T: for<'t> napi::ScopedTask<'t>>(
    task: T,
    signal: Option<AbortSignal>,
    cancel: Option<&infrarag::CancelToken>,
) -> AsyncTask<T> {
    if let (Some(s), Some(c)) = (&signal, cancel) {
        let c = c.clone();
        s.on_abort(move || c.cancel());
    }
    AsyncTask::with_optional_signal(task, signal)
}

/// A task's `compute` result: a coded failure is kept in `slot` for
/// `reject`, which runs on the JS thread where the error can be built.
pub(crate) fn kept<T>(slot: &mut Option<napi::Error<Code>>, out: Result<T, Code>) -> Result<T> {
    out.map_err(|e| {
        let generic = napi::Error::new(Status::GenericFailure, e.reason.clone());
        *slot = Some(e);
        generic
    })
}

/// Rejects a task's Promise with a JS Error carrying the core's `code`,
/// built here on the JS thread from the failure `compute` kept.
pub(crate) fn reject_with_code<T>(
    env: Env,
    err: napi::Error,
    failure: Option<napi::Error<Code>>,
) -> Result<T> {
    match failure {
        Some(failure) => Err(coded(&env, failure)),
        None => Err(err),
    }
}

/// The work of a Promise method, run on the libuv pool: a closure giving
/// the value, or a core failure that `reject` turns into a JS error with
/// its `code` on the JS thread.
pub struct Job<T> {
    work: Option<Box<dyn FnOnce() -> Result<T, Code> + Send>>,
    failure: Option<napi::Error<Code>>,
}

impl<T> Task for Job<T>
where
    T: ToNapiValue + TypeName + Send + 'static,
{
    type Output = T;
    type JsValue = T;

    fn compute(&mut self) -> Result<T> {
        let work = self.work.take().ok_or_else(|| {
            napi::Error::new(Status::GenericFailure, "the task ran twice".to_string())
        })?;
        kept(&mut self.failure, unpanicked(work))
    }

    fn resolve(&mut self, _env: Env, output: T) -> Result<T> {
        Ok(output)
    }

    fn reject(&mut self, env: Env, err: napi::Error) -> Result<T> {
        reject_with_code(env, err, self.failure.take())
    }
}

/// [`Job`] of `work` under the caller's `AbortSignal` (see [`abortable`]).
pub(crate) fn job<T>(
    signal: Option<AbortSignal>,
    cancel: Option<&infrarag::CancelToken>,
    work: impl FnOnce() -> Result<T, Code> + Send + 'static,
) -> AsyncTask<Job<T>>
where
    T: ToNapiValue + TypeName + Send + 'static,
{
    let task = Job {
        work: Some(Box::new(work)),
        failure: None,
    };
    abortable(task, signal, cancel)
}
