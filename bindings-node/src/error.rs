//! Core errors as JS errors with a stable `code` and, where the core has
//! them, structured fields (`diagnostics`, `provider`, `status`, ...).

use napi::bindgen_prelude::*;

use crate::convert::Json;
use infrarag::Error;

/// A core error's stable `code` (`PARSE_ERROR`, `INVALID_UTF8`,
/// `IO_ERROR`, `INVALID_ARGUMENT`, `PROVIDER_ERROR`, ...), and for
/// `PROVIDER_ERROR` the fields a JS error gets beside it (`provider`,
/// `model`, `status`, `requestId`, and `retryAfter`: the seconds a service
/// asked to wait when that was past the client's `maxRetryAfter`).
pub struct Code {
    code: String,
    /// Boxed: errors travel in every `Result` here and should stay small.
    provider: Option<Box<ProviderFields>>,
    /// A parse error's diagnostics, as `hcl.parseSyntax` lists them; JS
    /// errors get them as `diagnostics`.
    diagnostics: Option<Box<serde_json::Value>>,
}

/// What a provider's failure tells besides its message: JS errors get
/// `provider`, `model`, `status` and `requestId`.
pub(crate) struct ProviderFields {
    provider: String,
    model: String,
    status: Option<u16>,
    request_id: Option<String>,
    retry_after_ms: Option<u32>,
}

impl Code {
    pub(crate) fn plain(code: &str) -> Code {
        Code {
            code: code.to_string(),
            provider: None,
            diagnostics: None,
        }
    }
}

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        &self.code
    }
}

/// A JS error whose `code` is the core's stable code.
pub(crate) fn js_error(err: infrarag::Error) -> napi::Error<Code> {
    let message = err.to_string();
    let diagnostics = match &err {
        infrarag::Error::Parse { diagnostics, .. } => serde_json::to_value(diagnostics).ok(),
        infrarag::Error::InvalidUtf8 {
            byte, line, column, ..
        } => {
            let at = serde_json::json!({"byte": byte, "line": line, "column": column});
            Some(serde_json::json!([{
                "severity": "error",
                "code": "invalid_utf8",
                "message": "invalid UTF-8",
                "span": {"start": at, "end": at},
            }]))
        }
        _ => None,
    };
    let provider = match &err {
        infrarag::Error::Provider {
            provider,
            model,
            status,
            request_id,
            retry_after_ms,
            ..
        } => Some(Box::new(ProviderFields {
            provider: provider.clone(),
            model: model.clone(),
            status: *status,
            request_id: request_id.clone(),
            retry_after_ms: *retry_after_ms,
        })),
        _ => None,
    };
    let code = Code {
        code: err.code().to_string(),
        provider,
        diagnostics: diagnostics.map(Box::new),
    };
    napi::Error::new(code, message)
}

/// A whole-number option, checked before any conversion: negative,
/// fractional, non-finite or past-`u32` numbers are INVALID_ARGUMENT (napi
/// would wrap -1 to 4294967295 and truncate 1.5).
pub(crate) fn whole(name: &str, value: Option<f64>, default: usize) -> Result<usize, Code> {
    let Some(v) = value else {
        return Ok(default);
    };
    if !(v.is_finite() && v.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&v)) {
        return Err(js_error(infrarag::Error::InvalidArgument {
            name: name.into(),
            message: format!("expected a whole number from 0 to {}, got {v}", u32::MAX),
        }));
    }
    Ok(v as usize)
}

pub(crate) fn internal(err: impl std::fmt::Display) -> napi::Error<Code> {
    napi::Error::new(Code::plain("INTERNAL"), err.to_string())
}

/// A core error as a JS `Error` with its `code`, thrown as it is; built on
/// the JS thread, where functions that also rethrow JS exceptions return it.
pub(crate) fn coded(env: &Env, failure: napi::Error<Code>) -> napi::Error {
    let build = || -> Result<napi::Error> {
        let mut error = env.create_error(napi::Error::new(
            Status::GenericFailure,
            failure.reason.clone(),
        ))?;
        error.set_named_property("code", failure.status.code.as_str())?;
        if let Some(d) = &failure.status.diagnostics {
            error.set_named_property("diagnostics", Json(d.as_ref().clone()))?;
        }
        if let Some(p) = &failure.status.provider {
            error.set_named_property("provider", p.provider.as_str())?;
            error.set_named_property("model", p.model.as_str())?;
            match p.status {
                Some(status) => error.set_named_property("status", u32::from(status))?,
                None => error.set_named_property("status", Null)?,
            }
            match &p.request_id {
                Some(id) => error.set_named_property("requestId", id.as_str())?,
                None => error.set_named_property("requestId", Null)?,
            }
            match p.retry_after_ms {
                Some(ms) => error.set_named_property("retryAfter", f64::from(ms) / 1000.0)?,
                None => error.set_named_property("retryAfter", Null)?,
            }
        }
        Ok(napi::Error::from(error.into_unknown(env)?))
    };
    build().unwrap_or_else(|e| e)
}

/// An INVALID_ARGUMENT error naming the argument.
pub(crate) fn invalid(name: &str, message: String) -> napi::Error<Code> {
    js_error(Error::InvalidArgument {
        name: name.into(),
        message,
    })
}
