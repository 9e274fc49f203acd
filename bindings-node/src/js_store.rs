//! JavaScript objects as an index's stores: adapters implementing the
//! core's `DocumentStore` and `VectorStore` by calling the object's methods
//! on the main thread through threadsafe functions, data crossing as JSON.
//!
//! The core calls a store from libuv workers and waits for the answer, so
//! an index on JS stores is used through its Promise methods only; a
//! synchronous call would wait for the main thread it is blocking.

use std::sync::mpsc;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use serde_json::Value;

use infrarag::store::{
    Document, DocumentChanges, DocumentStore, VectorQuery, VectorRecord, VectorStore,
};

/// What a store method returned, as JSON; a Promise is refused, since the
/// worker waiting for it cannot run the event loop that settles it.
pub struct Returned(Value);

impl FromNapiValue for Returned {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> Result<Self> {
        // SAFETY: `env` and `value` come from napi for this call.
        let unknown = unsafe { Unknown::from_raw_unchecked(env, value) };
        if unknown.is_promise()? {
            return Err(Error::new(
                Status::InvalidArg,
                "store methods must return their result, not a Promise",
            ));
        }
        if unknown.get_type()? == ValueType::Undefined {
            return Ok(Returned(Value::Null));
        }
        // SAFETY: as above.
        Ok(Returned(unsafe { Value::from_napi_value(env, value)? }))
    }
}

type Method = ThreadsafeFunction<Value, Returned, Value, Status, false, true>;

/// A JS function (or an object's method, bound to it), callable from any
/// thread; data crosses as JSON.
pub(crate) struct Bound {
    name: String,
    tsfn: Method,
}

impl Bound {
    fn new(object: &Object, name: &'static str) -> Result<Self> {
        let function: Function<Value, Returned> =
            object.get_named_property(name).map_err(|_| {
                Error::new(
                    Status::InvalidArg,
                    format!("a store needs a `{name}` method"),
                )
            })?;
        let tsfn = function
            .bind(object)?
            .build_threadsafe_function::<Value>()
            .callee_handled::<false>()
            .weak::<true>()
            .build()?;
        Ok(Bound {
            name: name.to_string(),
            tsfn,
        })
    }

    /// A plain function, named `name` in error messages.
    pub(crate) fn function(name: String, function: &Function<Value, Returned>) -> Result<Self> {
        let tsfn = function
            .build_threadsafe_function::<Value>()
            .callee_handled::<false>()
            .weak::<true>()
            .build()?;
        Ok(Bound { name, tsfn })
    }

    /// Calls the function with `arg` and waits for what it returns, or for
    /// what it threw, which rethrown on the JS thread is the same value.
    pub(crate) fn call_value(&self, arg: Value) -> Result<Value> {
        let (reply, answer) = mpsc::sync_channel(1);
        let status = self.tsfn.call_with_return_value(
            arg,
            ThreadsafeFunctionCallMode::Blocking,
            move |result: Result<Returned>, _env| {
                let _ = reply.send(result.map(|r| r.0));
                Ok(())
            },
        );
        if status != Status::Ok {
            return Err(Error::new(
                status,
                format!("{} cannot be called", self.name),
            ));
        }
        answer.recv().map_err(|_| {
            Error::new(
                Status::Closing,
                format!("{}: the JS thread has stopped", self.name),
            )
        })?
    }

    /// Calls the method with `arg` and waits for what it returns.
    fn call<T: serde::de::DeserializeOwned>(&self, arg: Value) -> infrarag::Result<T> {
        let failed = |message: String| infrarag::Error::Storage {
            path: None,
            message: format!("{}: {message}", self.name),
        };
        let value = self.call_value(arg).map_err(|e| failed(e.reason.clone()))?;
        serde_json::from_value(value)
            .map_err(|e| failed(format!("returned an unexpected shape: {e}")))
    }
}

fn json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// A JS document store: `load()` and `apply({ remove, put })`.
pub struct JsDocumentStore {
    load: Bound,
    apply: Bound,
}

impl JsDocumentStore {
    pub fn new(object: &Object) -> Result<Self> {
        Ok(JsDocumentStore {
            load: Bound::new(object, "load")?,
            apply: Bound::new(object, "apply")?,
        })
    }
}

impl DocumentStore for JsDocumentStore {
    fn load(&self) -> infrarag::Result<Vec<Document>> {
        self.load.call(Value::Null)
    }

    fn apply(&mut self, changes: &DocumentChanges) -> infrarag::Result<()> {
        self.apply.call::<Value>(json(changes)).map(drop)
    }
}

/// A JS vector store: `dimension`, `ids()`, `upsert(records)`,
/// `delete(ids)`, `search({ vector, k, filter })`.
pub struct JsVectorStore {
    dimension: usize,
    ids: Bound,
    upsert: Bound,
    delete: Bound,
    search: Bound,
}

impl JsVectorStore {
    pub fn new(object: &Object) -> Result<Self> {
        let dimension: Option<u32> = object.get_named_property("dimension")?;
        let dimension = dimension.ok_or_else(|| {
            Error::new(
                Status::InvalidArg,
                "a vector store needs a numeric `dimension`",
            )
        })?;
        Ok(JsVectorStore {
            dimension: dimension as usize,
            ids: Bound::new(object, "ids")?,
            upsert: Bound::new(object, "upsert")?,
            delete: Bound::new(object, "delete")?,
            search: Bound::new(object, "search")?,
        })
    }
}

impl VectorStore for JsVectorStore {
    fn dimension(&self) -> usize {
        self.dimension
    }

    fn ids(&self) -> infrarag::Result<Vec<String>> {
        self.ids.call(Value::Null)
    }

    fn upsert(&mut self, records: Vec<VectorRecord>) -> infrarag::Result<()> {
        self.upsert.call::<Value>(json(&records)).map(drop)
    }

    fn delete(&mut self, ids: &[String]) -> infrarag::Result<()> {
        self.delete.call::<Value>(json(&ids)).map(drop)
    }

    fn search(&self, query: &VectorQuery<'_>) -> infrarag::Result<Vec<(String, f32)>> {
        self.search.call(serde_json::json!({
            "vector": query.vector,
            "k": query.k,
            "filter": query.filter,
        }))
    }
}
