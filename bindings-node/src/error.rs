//! Core errors as JS errors with a stable `code` and, where the core has
//! them, structured fields (`diagnostics`, `provider`, `status`, ...).

use napi::bindgen_prelude::*;

use crate::convert::Json;
use infrarag::Error;

/// A core error's stable `code` (`PARSE_ERROR`, `INVALID_UTF8`,
/// `IO_ERROR`, `INVALID_ARGUMENT`, `PROVIDER_ERROR`, ...), its class name
/// (the JS error's `name`: `ParseError`, `ProviderError`, ...), and the
/// structured fields the core lists for it, which the JS error gets in
/// camelCase: `path`, `diagnostics`, `argument`, `provider`, `model`,
/// `status`, `requestId`, `retryAfter` (seconds), `tool`.
pub struct Code {
    code: String,
    name: &'static str,
    /// Boxed: errors travel in every `Result` here and should stay small.
    fields: Option<Box<serde_json::Map<String, serde_json::Value>>>,
    /// What a JS callback threw, rethrown as it is instead of a new error.
    thrown: Option<Box<napi::Error>>,
}

impl Code {
    pub(crate) fn plain(code: &str) -> Code {
        Code {
            code: code.to_string(),
            name: "Error",
            fields: None,
            thrown: None,
        }
    }

    /// The failure of a call whose JS callback threw `thrown`.
    pub(crate) fn thrown(thrown: napi::Error) -> Code {
        Code {
            thrown: Some(Box::new(thrown)),
            ..Code::plain("GenericFailure")
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
    let fields = err.fields();
    let code = Code {
        code: err.code().to_string(),
        name: err.class_name(),
        fields: (!fields.is_empty()).then(|| Box::new(fields)),
        thrown: None,
    };
    napi::Error::new(code, err.to_string())
}

/// `request_id` as `requestId`.
fn camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        match (c, upper) {
            ('_', _) => upper = true,
            (c, true) => {
                out.extend(c.to_uppercase());
                upper = false;
            }
            (c, false) => out.push(c),
        }
    }
    out
}

/// A whole-number option, checked before any conversion: negative,
/// fractional, non-finite or past-`u32` numbers are INVALID_ARGUMENT (napi
/// would wrap -1 to 4294967295 and truncate 1.5).
pub(crate) fn whole(name: &str, value: Option<f64>, default: usize) -> Result<usize, Code> {
    counted(name, value).map(|n| n.unwrap_or(default))
}

/// [`whole`] for an option the core defaults: `None` when not given.
pub(crate) fn counted(name: &str, value: Option<f64>) -> Result<Option<usize>, Code> {
    let Some(v) = value else {
        return Ok(None);
    };
    if !(v.is_finite() && v.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&v)) {
        return Err(js_error(infrarag::Error::InvalidArgument {
            name: name.into(),
            message: format!("expected a whole number from 0 to {}, got {v}", u32::MAX),
        }));
    }
    Ok(Some(v as usize))
}

/// A failure that is a bug in infrarag (a value the core made that does
/// not serialise): napi's own `GenericFailure`, not one of the core's codes.
pub(crate) fn internal(err: impl std::fmt::Display) -> napi::Error<Code> {
    napi::Error::new(
        Code::plain("GenericFailure"),
        format!("infrarag internal error, please report: {err}"),
    )
}

/// A core error as a JS `Error` with its `code`, thrown as it is; built on
/// the JS thread, where functions that also rethrow JS exceptions return it.
pub(crate) fn coded(env: &Env, mut failure: napi::Error<Code>) -> napi::Error {
    if let Some(thrown) = failure.status.thrown.take() {
        return *thrown;
    }
    let build = || -> Result<napi::Error> {
        let mut error = env.create_error(napi::Error::new(
            Status::GenericFailure,
            failure.reason.clone(),
        ))?;
        error.set_named_property("code", failure.status.code.as_str())?;
        if failure.status.name != "Error" {
            error.set_named_property("name", failure.status.name)?;
        }
        for (name, value) in failure.status.fields.iter().flat_map(|f| f.iter()) {
            error.set_named_property(&camel(name), Json(value.clone()))?;
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

/// Runs a synchronous function's body, throwing its failure as
/// [`coded`] builds it, so a sync call's error has the same fields as the
/// Promise version's.
pub(crate) fn thrown<T>(env: &Env, body: impl FnOnce() -> Result<T, Code>) -> Result<T> {
    unpanicked(body).map_err(|e| coded(env, e))
}

/// `body`, with a panic inside it as an INTERNAL_ERROR: a panic that
/// reached N-API would abort the whole Node process.
pub(crate) fn unpanicked<T>(body: impl FnOnce() -> Result<T, Code>) -> Result<T, Code> {
    infrarag::catch_panic(|| Ok(body())).unwrap_or_else(|e| Err(js_error(e)))
}
