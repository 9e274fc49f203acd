//! JS functions called from worker threads: listeners that receive each
//! delta or event, and what a throwing one means (the call stops).

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
pub(crate) fn callback_error(name: &str, threw: Option<String>) -> Result<(), Code> {
    match threw {
        Some(message) => Err(napi::Error::new(
            Code::plain("CANCELLED"),
            format!("{name} threw: {message}"),
        )),
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
