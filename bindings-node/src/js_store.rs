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

use infrarag::collect::{AuditEntry, Record, RecordQuery, RecordStore, StoredRecord};
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
        Ok(Returned(integral(unsafe {
            Value::from_napi_value(env, value)?
        })))
    }
}

/// What a JS function returned, settled or to settle: a Promise's value
/// or rejection arrives on the receiver when the event loop settles it.
pub struct Settling(mpsc::Receiver<std::result::Result<Value, String>>);

impl FromNapiValue for Settling {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> Result<Self> {
        let (tx, rx) = mpsc::sync_channel(1);
        // SAFETY: `env` and `value` come from napi for this call.
        let unknown = unsafe { Unknown::from_raw_unchecked(env, value) };
        if unknown.is_promise()? {
            let promise: PromiseRaw<'_, Value> = PromiseRaw::new(env, value);
            let resolved = tx.clone();
            let then = promise.then(move |ctx: CallbackContext<Value>| {
                let _ = resolved.send(Ok(integral(ctx.value)));
                Ok(())
            })?;
            then.catch(move |ctx: CallbackContext<Unknown<'static>>| {
                let reason = ctx
                    .value
                    .coerce_to_string()
                    .and_then(|s| s.into_utf8())
                    .and_then(|s| s.as_str().map(String::from))
                    .unwrap_or_else(|_| "the Promise was rejected".into());
                let _ = tx.send(Err(reason));
                Ok(())
            })?;
        } else {
            let v = if unknown.get_type()? == ValueType::Undefined {
                Value::Null
            } else {
                // SAFETY: as above.
                integral(unsafe { Value::from_napi_value(env, value)? })
            };
            let _ = tx.send(Ok(v));
        }
        Ok(Settling(rx))
    }
}

/// A JS function that may return a Promise, callable from any thread but
/// the JS thread: the caller waits for what it returns to settle, which
/// the event loop does meanwhile.
pub(crate) struct Awaited {
    name: String,
    tsfn: ThreadsafeFunction<Value, Settling, Value, Status, false, true>,
}

impl Awaited {
    /// `function` (a method already bound to its object), named `name` in
    /// error messages.
    pub(crate) fn new(name: String, function: &Function<Value, Settling>) -> Result<Self> {
        let tsfn = function
            .build_threadsafe_function::<Value>()
            .callee_handled::<false>()
            .weak::<true>()
            .build()?;
        Ok(Awaited { name, tsfn })
    }

    /// Calls the function with `arg` and waits for its result, or for what
    /// it threw or rejected with, as text.
    pub(crate) fn call(&self, arg: Value) -> std::result::Result<Value, String> {
        let (reply, answer) = mpsc::sync_channel(1);
        let status = self.tsfn.call_with_return_value(
            arg,
            ThreadsafeFunctionCallMode::Blocking,
            move |result: Result<Settling>, _env| {
                let _ = reply.send(result);
                Ok(())
            },
        );
        if status != Status::Ok {
            return Err(format!("{} cannot be called", self.name));
        }
        let stopped = || format!("{}: the JS thread has stopped", self.name);
        let settling = answer
            .recv()
            .map_err(|_| stopped())?
            .map_err(|e| e.reason.clone())?;
        settling.0.recv().map_err(|_| stopped())?
    }
}

/// `value` with whole numbers as integers: JS has only doubles, and a
/// large one (a time in ms) arrives as a float, which an integer field
/// refuses.
pub(crate) fn integral(value: Value) -> Value {
    match value {
        Value::Number(n) if n.as_i64().is_none() && n.as_u64().is_none() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 => {
                Value::from(f as i64)
            }
            _ => Value::Number(n),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(integral).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, integral(v))).collect())
        }
        other => other,
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
/// `delete(ids)`, `search({ vector, k, filter })`, and optionally
/// `vectors(ids)`.
pub struct JsVectorStore {
    dimension: usize,
    ids: Bound,
    upsert: Bound,
    delete: Bound,
    search: Bound,
    vectors: Option<Bound>,
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
            vectors: match object.has_named_property("vectors")? {
                true => Some(Bound::new(object, "vectors")?),
                false => None,
            },
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

    fn vectors(&self, ids: &[String]) -> infrarag::Result<Vec<(String, Vec<f32>)>> {
        match &self.vectors {
            Some(vectors) => vectors.call(json(&ids)),
            None => Ok(Vec::new()),
        }
    }

    fn search(&self, query: &VectorQuery<'_>) -> infrarag::Result<Vec<(String, f32)>> {
        self.search.call(serde_json::json!({
            "vector": query.vector,
            "k": query.k,
            "filter": query.filter,
        }))
    }
}

/// The store object itself, for calls made on the JS thread (a sync
/// method of the service), which cannot wait on a threadsafe call to the
/// thread they are blocking.
struct Direct {
    thread: std::thread::ThreadId,
    env: sys::napi_env,
    object: ObjectRef<false>,
}

// SAFETY: `env` and `object` are only used on `thread`, the JS thread that
// made them (checked before each use).
unsafe impl Send for Direct {}
// SAFETY: as above.
unsafe impl Sync for Direct {}

/// A JS record store: `append({ entry, records })`, `audit(query)`,
/// `records(query)`, `prune(beforeMs)`, each returning its result (not a
/// Promise).
pub struct JsRecordStore {
    append: Bound,
    audit: Bound,
    records: Bound,
    prune: Bound,
    direct: Direct,
}

impl JsRecordStore {
    pub fn new(env: &Env, object: &Object) -> Result<Self> {
        Ok(JsRecordStore {
            append: Bound::new(object, "append")?,
            audit: Bound::new(object, "audit")?,
            records: Bound::new(object, "records")?,
            prune: Bound::new(object, "prune")?,
            direct: Direct {
                thread: std::thread::current().id(),
                env: env.raw(),
                object: object.create_ref()?,
            },
        })
    }

    /// Calls `method` with `args`: directly on the JS thread, else through
    /// its threadsafe function.
    fn call<T: serde::de::DeserializeOwned>(
        &self,
        name: &str,
        bound: &Bound,
        args: Value,
    ) -> infrarag::Result<T> {
        if std::thread::current().id() != self.direct.thread {
            return bound.call(args);
        }
        let failed = |message: String| infrarag::Error::Storage {
            path: None,
            message: format!("{name}: {message}"),
        };
        let env = Env::from_raw(self.direct.env);
        let object = self
            .direct
            .object
            .get_value(&env)
            .map_err(|e| failed(e.reason.clone()))?;
        let function: Function<Value, Returned> = object
            .get_named_property(name)
            .map_err(|e| failed(e.reason.clone()))?;
        let returned = function
            .apply(object, args)
            .map_err(|e| failed(e.reason.clone()))?;
        serde_json::from_value(returned.0)
            .map_err(|e| failed(format!("returned an unexpected shape: {e}")))
    }
}

fn query_json(q: &RecordQuery) -> Value {
    serde_json::json!({
        "host": q.host,
        "method": q.method,
        "since_ms": q.since_ms,
        "until_ms": q.until_ms,
    })
}

impl RecordStore for JsRecordStore {
    fn append(&self, entry: &AuditEntry, records: &[Record]) -> infrarag::Result<()> {
        let args = serde_json::json!({ "entry": json(entry), "records": json(&records) });
        self.call::<Value>("append", &self.append, args).map(drop)
    }

    fn audit(&self, query: &RecordQuery) -> infrarag::Result<Vec<AuditEntry>> {
        self.call("audit", &self.audit, query_json(query))
    }

    fn records(&self, query: &RecordQuery) -> infrarag::Result<Vec<StoredRecord>> {
        self.call("records", &self.records, query_json(query))
    }

    fn prune(&self, before_ms: u64) -> infrarag::Result<usize> {
        self.call("prune", &self.prune, serde_json::json!(before_ms))
    }
}
