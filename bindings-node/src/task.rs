//! What every Promise method shares: the caller's `AbortSignal`, and a
//! core failure kept until it can be built into a JS error on the JS thread.

use napi::bindgen_prelude::*;

use crate::error::{coded, Code};

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
