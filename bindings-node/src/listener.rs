//! JS functions called from worker threads: listeners that receive each
//! delta or event, and what a throwing one means (the call stops, and
//! rejects with what it threw, as Python raises a callback's exception).

use std::ops::ControlFlow;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use serde_json::Value;

use crate::error::Code;
use crate::js_store::{Bound, Returned};

/// Gives `value` to a listener and waits until it has run, so every event
/// is seen, in order, before the Promise settles; a throw stops the work.
pub(crate) fn deliver(
    listener: &Option<Arc<Bound>>,
    value: Value,
    threw: &mut Option<napi::Error>,
) -> ControlFlow<()> {
    match listener.as_ref().map(|f| f.call_value(value)) {
        Some(Err(thrown)) => {
            threw.get_or_insert(thrown);
            ControlFlow::Break(())
        }
        _ => ControlFlow::Continue(()),
    }
}

/// The rejection for a listener that threw: what it threw.
pub(crate) fn callback_error(threw: Option<napi::Error>) -> Result<(), Code> {
    match threw {
        Some(thrown) => {
            let reason = thrown.reason.clone();
            Err(napi::Error::new(Code::thrown(thrown), reason))
        }
        None => Ok(()),
    }
}

pub(crate) fn listener(
    name: &str,
    f: Option<Function<Value, Returned>>,
) -> Result<Option<Arc<Bound>>> {
    f.map(|f| Bound::function(name.into(), &f).map(Arc::new))
        .transpose()
}
