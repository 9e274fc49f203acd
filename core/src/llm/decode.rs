//! The contract between the HTTP client and a provider's stream format:
//! each server-sent event becomes deltas and a step, errors say whether
//! asking again may help, and the end gives the completion.

use serde_json::Value;

use super::{sse, Completion, Delta};

/// How one event of a provider's stream went.
pub(crate) enum Step {
    Continue,
    /// The answer is complete.
    Done,
}

/// An error the stream itself reported, and whether asking again may help.
pub(crate) struct StreamError {
    pub message: String,
    pub retryable: bool,
}

impl StreamError {
    /// A stream that makes no sense; asking again will not mend it.
    pub fn malformed(message: String) -> StreamError {
        StreamError {
            message,
            retryable: false,
        }
    }

    /// `event`'s data as JSON, or the error naming what it is (`an event`,
    /// `a chunk`) and how it begins.
    pub fn json(event: &sse::Event, what: &str) -> std::result::Result<Value, StreamError> {
        serde_json::from_str(&event.data).map_err(|e| {
            StreamError::malformed(format!(
                "{what} is not JSON: {e}: {}",
                crate::http::preview(&event.data)
            ))
        })
    }
}

/// A provider's stream, turned into deltas and a [`Completion`].
pub(crate) trait Decoder {
    fn event(
        &mut self,
        event: &sse::Event,
        out: &mut dyn FnMut(Delta),
    ) -> std::result::Result<Step, StreamError>;
    fn finish(self: Box<Self>, model: &str) -> Completion;
}
