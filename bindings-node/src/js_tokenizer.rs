//! A JavaScript function as the core's `Tokenizer`. JS runs only on the main
//! thread, so every count is a request answered there.
//!
//! A synchronous call runs the core on a scoped thread while the main thread
//! answers requests ([`JsTokenizer::pumped`]); work on the libuv pool asks
//! through a threadsafe function, or through the pump when one is running,
//! which keeps a blocked main thread from starving the shared rayon pool.

use std::sync::mpsc::{self, RecvTimeoutError, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};

use infrarag::chunk::{ChunkConfig, Chunker};
use infrarag::tokens::Tokenizer;

/// What a JS tokenizer returns: a token count, or anything with a `length`
/// (an array of ids, a `Uint32Array`).
pub struct TokenCount(usize);

impl FromNapiValue for TokenCount {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> Result<Self> {
        // SAFETY: `env` and `value` come from napi for this call.
        let unknown = unsafe { Unknown::from_raw_unchecked(env, value) };
        let count = match unknown.get_type()? {
            ValueType::Number => {
                // SAFETY: as above; the type was just checked.
                let n = unsafe { f64::from_napi_value(env, value)? };
                whole(n)
            }
            ValueType::Object => {
                // SAFETY: as above; the type was just checked.
                let object = unsafe { Object::from_napi_value(env, value)? };
                object
                    .get_named_property::<Option<f64>>("length")?
                    .and_then(whole)
            }
            _ => None,
        };
        count.map(TokenCount).ok_or_else(|| {
            Error::new(
                Status::InvalidArg,
                "a tokenizer function must return a token count or an array of token ids",
            )
        })
    }
}

fn whole(n: f64) -> Option<usize> {
    (n >= 0.0 && n.fract() == 0.0 && n <= f64::from(u32::MAX)).then_some(n as usize)
}

/// How long a queued call may wait before the pump is tried instead.
const REROUTE_AFTER: Duration = Duration::from_millis(20);

type Tsfn = ThreadsafeFunction<String, TokenCount, String, Status, false, true>;
type Reply = SyncSender<Result<usize>>;

enum Request {
    Count(String, Reply),
    Done,
}

/// The JS function a `Chunker` was built with.
pub struct JsTokenizer {
    name: String,
    func: FunctionRef<String, TokenCount>,
    /// Weak: an idle `Chunker` must not keep the process alive.
    tsfn: Arc<Tsfn>,
    /// The main thread's request queue while it runs a synchronous call.
    pump: Arc<Mutex<Option<Sender<Request>>>>,
}

impl JsTokenizer {
    pub fn new(env: &Env, func: FunctionRef<String, TokenCount>) -> Result<Self> {
        let function = func.borrow_back(env)?;
        let name = function
            .name()
            .ok()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "javascript".to_string());
        let tsfn = function
            .build_threadsafe_function::<String>()
            .callee_handled::<false>()
            .weak::<true>()
            .build()?;
        Ok(JsTokenizer {
            name,
            func,
            tsfn: Arc::new(tsfn),
            pump: Arc::new(Mutex::new(None)),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// A tokenizer for work off the main thread.
    pub fn remote(&self) -> Arc<JsCounter> {
        Arc::new(JsCounter {
            name: self.name.clone(),
            pump: self.pump.clone(),
            tsfn: Some(self.tsfn.clone()),
            failure: Mutex::new(None),
        })
    }

    /// Runs `work` with a chunker built from `config` and this function,
    /// answering its counts on this (the main) thread until it ends. The
    /// first exception the function throws is returned instead of the result.
    pub fn pumped<T: Send>(
        &self,
        env: &Env,
        config: &ChunkConfig,
        work: impl FnOnce(&Chunker) -> T + Send,
    ) -> Result<T> {
        let function = self.func.borrow_back(env)?;
        let (tx, rx) = mpsc::channel();
        let counter = Arc::new(JsCounter {
            name: self.name.clone(),
            pump: Arc::new(Mutex::new(Some(tx.clone()))),
            tsfn: None,
            failure: Mutex::new(None),
        });
        let chunker = Chunker::new(config.clone().with_tokenizer(counter.clone()))
            .map_err(|e| Error::new(Status::InvalidArg, e.to_string()))?;
        *lock(&self.pump) = Some(tx.clone());
        let answer = |request: Request| match request {
            Request::Count(text, reply) => {
                let _ = reply.send(function.call(text).map(|c| c.0));
                false
            }
            Request::Done => true,
        };
        let outcome = std::thread::scope(|scope| {
            let worker = scope.spawn(move || {
                let out = work(&chunker);
                let _ = tx.send(Request::Done);
                out
            });
            while let Ok(request) = rx.recv() {
                if answer(request) {
                    break;
                }
            }
            worker.join()
        });
        *lock(&self.pump) = None;
        while let Ok(request) = rx.try_recv() {
            answer(request);
        }
        let out = outcome.map_err(|_| Error::new(Status::GenericFailure, "chunking panicked"))?;
        match counter.take_failure() {
            Some(err) => Err(err),
            None => Ok(out),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The core-facing side: asks the main thread for each count and keeps the
/// first error, after which every count is 0 so the work ends quickly.
pub struct JsCounter {
    name: String,
    pump: Arc<Mutex<Option<Sender<Request>>>>,
    tsfn: Option<Arc<Tsfn>>,
    failure: Mutex<Option<Error>>,
}

impl JsCounter {
    /// The first exception the function threw, or why it could not be called.
    pub fn take_failure(&self) -> Option<Error> {
        lock(&self.failure).take()
    }

    fn ask(&self, text: &str) -> Result<usize> {
        if let Some(result) = self.ask_pump(text) {
            return result;
        }
        let Some(tsfn) = &self.tsfn else {
            return Err(Error::new(
                Status::Closing,
                "the tokenizer's call has ended",
            ));
        };
        let (reply, answer) = mpsc::sync_channel(1);
        let status = tsfn.call_with_return_value(
            text.to_string(),
            ThreadsafeFunctionCallMode::Blocking,
            move |result: Result<TokenCount>, _env| {
                let _ = reply.send(result.map(|c| c.0));
                Ok(())
            },
        );
        if status != Status::Ok {
            return Err(Error::new(status, "cannot call the tokenizer function"));
        }
        loop {
            match answer.recv_timeout(REROUTE_AFTER) {
                Ok(result) => return result,
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(Error::new(Status::Closing, "the JS thread has stopped"))
                }
                // The main thread may have entered a synchronous call since:
                // it runs no queued call until that ends, and that call may
                // wait for this thread's rayon pool. Ask its pump instead
                // (the queued call, run later, answers no one).
                Err(RecvTimeoutError::Timeout) => {
                    if let Some(result) = self.ask_pump(text) {
                        return result;
                    }
                }
            }
        }
    }

    /// Asks the main thread's pump, when a synchronous call runs one.
    fn ask_pump(&self, text: &str) -> Option<Result<usize>> {
        let pump = lock(&self.pump).clone()?;
        let (reply, answer) = mpsc::sync_channel(1);
        pump.send(Request::Count(text.to_string(), reply)).ok()?;
        answer.recv().ok()
    }
}

impl Tokenizer for JsCounter {
    fn name(&self) -> &str {
        &self.name
    }

    /// Only the number of ids is known; the chunker needs no more.
    fn encode(&self, text: &str) -> Vec<u32> {
        vec![0; self.count(text)]
    }

    fn decode(&self, _tokens: &[u32]) -> infrarag::Result<String> {
        Err(infrarag::Error::InvalidArgument {
            name: "tokens".into(),
            message: "a JavaScript tokenizer cannot decode through infrarag".into(),
        })
    }

    fn count(&self, text: &str) -> usize {
        if lock(&self.failure).is_some() {
            return 0;
        }
        self.ask(text).unwrap_or_else(|err| {
            lock(&self.failure).get_or_insert(err);
            0
        })
    }
}
