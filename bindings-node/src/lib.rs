//! Node bindings: converts values, maps errors to stable `code`s, and runs
//! directory work on the libuv thread pool. No logic lives here.

pub mod generate;
mod js_store;
mod js_tokenizer;
pub mod validate;

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use js_tokenizer::{JsCounter, JsTokenizer, TokenCount};

use infrarag::hcl::{self, Dialect, LoadsOptions};
use infrarag::terraform::Module;

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
struct ProviderFields {
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
fn js_error(err: infrarag::Error) -> napi::Error<Code> {
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

fn internal(err: impl std::fmt::Display) -> napi::Error<Code> {
    napi::Error::new(Code::plain("INTERNAL"), err.to_string())
}

/// The `infrarag` command line (`validate DIR`, `checks`, `--version`) on
/// the process's own streams; returns the exit status. The package's
/// `infrarag` bin calls it.
#[napi]
pub fn run_cli(argv: Vec<String>) -> u32 {
    u32::from(infrarag::cli::run(
        &argv,
        &mut std::io::stdin().lock(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    ))
}

#[napi(object)]
pub struct ParseOptions {
    /// The python-hcl2 format to reproduce: `"v7"` (7.3.1, the default) or
    /// `"v8"` (8.1.4 with its default options).
    pub dialect: Option<String>,
    /// Add `__start_line__` / `__end_line__` to block bodies (`"v7"` only).
    pub with_meta: Option<bool>,
}

fn loads_options(options: Option<ParseOptions>) -> Result<LoadsOptions, Code> {
    let (dialect, meta) = match options {
        Some(o) => (o.dialect, o.with_meta.unwrap_or(false)),
        None => (None, false),
    };
    let dialect: Dialect = match dialect {
        Some(d) => d.parse().map_err(js_error)?,
        None => Dialect::default(),
    };
    Ok(LoadsOptions::new(dialect).with_meta(meta))
}

/// Parses HCL into the JSON python-hcl2 returns for it. Syntax errors
/// throw PARSE_ERROR with `diagnostics` (each `{ severity, code, message,
/// span: { start, end } }`, as `parseSyntax` lists them).
#[napi(namespace = "hcl")]
pub fn parse(env: Env, text: String, options: Option<ParseOptions>) -> Result<serde_json::Value> {
    let opts = loads_options(options).map_err(|e| coded(&env, e))?;
    hcl::loads(&text, &opts).map_err(|e| coded(&env, js_error(e)))
}

/// Parses native HCL (or Terraform JSON when `json` is true) into the syntax
/// tree; never throws for syntax errors, which are listed in `diagnostics`.
#[napi(namespace = "hcl")]
pub fn parse_syntax(text: String, json: Option<bool>) -> serde_json::Value {
    let parsed = if json.unwrap_or(false) {
        hcl::tfjson::parse_json(&text)
    } else {
        hcl::parse(&text)
    };
    serde_json::json!({
        "body": parsed.file.body,
        "comments": parsed.file.comments,
        "diagnostics": parsed.diagnostics,
    })
}

fn module_json(dir: &str) -> Result<serde_json::Value, Code> {
    let m = Module::load(dir).map_err(js_error)?;
    serde_json::to_value(&m).map_err(internal)
}

/// Loads a Terraform module directory, blocking the calling thread.
#[napi(namespace = "hcl")]
pub fn load_module_sync(dir: String) -> Result<serde_json::Value, Code> {
    module_json(&dir)
}

/// A JSON value returned from a task (napi's `serde_json::Value` support
/// lacks the `TypeName` that `Task` asks for).
pub struct Json(serde_json::Value);

impl TypeName for Json {
    fn type_name() -> &'static str {
        "Object"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for Json {
    unsafe fn to_napi_value(env: napi::sys::napi_env, val: Self) -> Result<napi::sys::napi_value> {
        // SAFETY: forwarded unchanged to napi's own implementation for
        // `serde_json::Value`, with the env napi handed us.
        unsafe { serde_json::Value::to_napi_value(env, val.0) }
    }
}

pub struct LoadModuleTask {
    dir: String,
    /// The core's error, kept until `reject` runs on the JS thread, where a
    /// JS error with its `code` can be built.
    failure: Option<napi::Error<Code>>,
}

impl Task for LoadModuleTask {
    type Output = serde_json::Value;
    type JsValue = Json;

    fn compute(&mut self) -> Result<Self::Output> {
        kept(&mut self.failure, module_json(&self.dir))
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(Json(output))
    }

    fn reject(&mut self, env: Env, err: napi::Error) -> Result<Self::JsValue> {
        reject_with_code(env, err, self.failure.take())
    }
}

/// A task's `compute` result: a coded failure is kept in `slot` for
/// `reject`, which runs on the JS thread where the error can be built.
fn kept<T>(slot: &mut Option<napi::Error<Code>>, out: Result<T, Code>) -> Result<T> {
    out.map_err(|e| {
        let generic = napi::Error::new(Status::GenericFailure, e.reason.clone());
        *slot = Some(e);
        generic
    })
}

/// Rejects a task's Promise with a JS Error carrying the core's `code`,
/// built here on the JS thread from the failure `compute` kept.
fn reject_with_code<T>(
    env: Env,
    err: napi::Error,
    failure: Option<napi::Error<Code>>,
) -> Result<T> {
    match failure {
        Some(failure) => Err(coded(&env, failure)),
        None => Err(err),
    }
}

/// A core error as a JS `Error` with its `code`, thrown as it is; built on
/// the JS thread, where functions that also rethrow JS exceptions return it.
fn coded(env: &Env, failure: napi::Error<Code>) -> napi::Error {
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

/// Loads a Terraform module directory off the main thread.
#[napi(namespace = "hcl")]
pub fn load_module(dir: String, signal: Option<AbortSignal>) -> AsyncTask<LoadModuleTask> {
    abortable(LoadModuleTask { dir, failure: None }, signal, None)
}

/// A built-in tokenizer: `cl100k_base` and `o200k_base` count exactly as
/// Python tiktoken does; `approximate` only counts.
#[napi(namespace = "tokens")]
pub struct Tokenizer {
    inner: Box<dyn infrarag::tokens::Tokenizer>,
}

#[napi(namespace = "tokens")]
impl Tokenizer {
    /// `name`: `"cl100k_base"` (the default), `"o200k_base"` or
    /// `"approximate"`; throws INVALID_ARGUMENT for others.
    #[napi(constructor)]
    pub fn new(name: Option<String>) -> Result<Self, Code> {
        let name = name.as_deref().unwrap_or("cl100k_base");
        let inner = infrarag::tokens::by_name(name).map_err(js_error)?;
        Ok(Tokenizer { inner })
    }

    #[napi(getter)]
    pub fn name(&self) -> String {
        self.inner.name().to_string()
    }

    /// The number of tokens of `text`.
    #[napi]
    pub fn count(&self, text: String) -> u32 {
        small(self.inner.count(&text))
    }

    /// The token ids of `text`.
    #[napi]
    pub fn encode(&self, text: String) -> Vec<u32> {
        self.inner.encode(&text)
    }

    /// The text of `tokens`; throws INVALID_ARGUMENT when they split a
    /// character or are not in the vocabulary.
    #[napi]
    pub fn decode(&self, tokens: Vec<u32>) -> Result<String, Code> {
        self.inner.decode(&tokens).map_err(js_error)
    }
}

/// Options of a [`Chunker`].
#[napi(object, namespace = "chunk", object_to_js = false)]
pub struct ChunkerOptions {
    /// Most tokens per chunk (default 400, at least 8).
    pub max_tokens: Option<f64>,
    /// Tokens a piece of split text may repeat from the previous one
    /// (default 60, at most half of `maxTokens`).
    pub overlap: Option<f64>,
    /// `"cl100k_base"` (the default), `"o200k_base"`, `"approximate"`, or
    /// a function returning the token count of a text or its token ids
    /// (`(text) => enc.encode(text)`). A function is called on the main
    /// thread, so it is much slower than a built-in; what it throws is
    /// thrown (or rejected) by the call that used it.
    #[napi(ts_type = "string | ((text: string) => number | ArrayLike<number>)")]
    pub tokenizer: Option<Either<String, FunctionRef<String, TokenCount>>>,
}

/// One retrievable piece of a source file.
#[napi(object, namespace = "chunk")]
pub struct Chunk {
    /// 32 hex digits of SHA-256 over path, byte range and text.
    pub id: String,
    pub path: String,
    /// `hcl`, `markdown` or `text`.
    pub language: String,
    /// `block`, `block_part`, `attributes`, `comment`, `lines`, `section`
    /// or `text`.
    pub kind: String,
    pub text: String,
    pub block_type: Option<String>,
    pub labels: Vec<String>,
    /// The Terraform address, e.g. `aws_s3_bucket.logs`.
    pub address: Option<String>,
    pub heading_path: Vec<String>,
    pub part: u32,
    pub parts: u32,
    pub start_line: u32,
    pub end_line: u32,
    pub start_byte: u32,
    pub end_byte: u32,
    pub token_count: u32,
    pub content_hash: String,
    pub summary: String,
}

fn small(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl From<infrarag::chunk::Chunk> for Chunk {
    fn from(c: infrarag::chunk::Chunk) -> Self {
        Chunk {
            id: c.id,
            path: c.path,
            language: c.language.as_str().to_string(),
            kind: c.kind.as_str().to_string(),
            text: c.text,
            block_type: c.block_type,
            labels: c.labels,
            address: c.address,
            heading_path: c.heading_path,
            part: small(c.part),
            parts: small(c.parts),
            start_line: small(c.start_line),
            end_line: small(c.end_line),
            start_byte: small(c.start_byte),
            end_byte: small(c.end_byte),
            token_count: small(c.token_count),
            content_hash: c.content_hash,
            summary: c.summary,
        }
    }
}

/// A file `chunkDir` chunked.
#[napi(object, namespace = "chunk")]
pub struct SourceFile {
    pub path: String,
    pub language: String,
    pub bytes: u32,
    pub content_hash: String,
    pub chunks: u32,
}

/// A file `chunkDir` left out, and why.
#[napi(object, namespace = "chunk")]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

impl From<infrarag::chunk::Skipped> for Skipped {
    fn from(s: infrarag::chunk::Skipped) -> Self {
        Skipped {
            path: s.path,
            reason: s.reason,
        }
    }
}

/// What `chunkDir` found, in path order.
#[napi(object, namespace = "chunk")]
pub struct DirChunks {
    pub chunks: Vec<Chunk>,
    pub files: Vec<SourceFile>,
    pub skipped: Vec<Skipped>,
}

/// Options of `chunkDir`.
#[napi(object, namespace = "chunk")]
pub struct ChunkDirOptions {
    /// Only files ending in these extensions (`"tf"`, `"md"`).
    pub extensions: Option<Vec<String>>,
    /// Also walk hidden entries (default false); `.terraform/` never.
    pub include_hidden: Option<bool>,
    /// Skip files larger than this (default 4 MiB).
    pub max_file_bytes: Option<f64>,
}

fn chunk_dir_with(
    chunker: &infrarag::chunk::Chunker,
    dir: &str,
    options: Option<&ChunkDirOptions>,
    cancel: Option<&infrarag::CancelToken>,
) -> Result<DirChunks, Code> {
    let mut job = chunker.chunk_dir(dir);
    if let Some(c) = cancel {
        job = job.on_progress(move |_| match c.is_cancelled() {
            true => std::ops::ControlFlow::Break(()),
            false => std::ops::ControlFlow::Continue(()),
        });
    }
    if let Some(o) = options {
        if let Some(e) = &o.extensions {
            job = job.extensions(e.clone());
        }
        job = job.include_hidden(o.include_hidden.unwrap_or(false));
        if o.max_file_bytes.is_some() {
            job = job.max_file_bytes(whole("maxFileBytes", o.max_file_bytes, 0)? as u64);
        }
    }
    let out = job.execute().map_err(js_error)?;
    Ok(DirChunks {
        chunks: out.chunks.into_iter().map(Chunk::from).collect(),
        files: out
            .files
            .into_iter()
            .map(|f| SourceFile {
                path: f.path,
                language: f.language.as_str().to_string(),
                bytes: small(f.bytes),
                content_hash: f.content_hash,
                chunks: small(f.chunks),
            })
            .collect(),
        skipped: out.skipped.into_iter().map(Skipped::from).collect(),
    })
}

/// Splits files into chunks of at most `maxTokens` tokens: Terraform/HCL by
/// block, Markdown by heading, other text by separators.
#[napi(namespace = "chunk")]
pub struct Chunker {
    inner: infrarag::chunk::Chunker,
    js: Option<JsTokenizer>,
}

#[napi(namespace = "chunk")]
impl Chunker {
    /// Throws INVALID_ARGUMENT for a budget under 8, an overlap over half
    /// of it, or an unknown tokenizer name.
    #[napi(constructor)]
    pub fn new(env: Env, options: Option<ChunkerOptions>) -> Result<Self> {
        let (max, overlap, tokenizer) = match options {
            Some(o) => (o.max_tokens, o.overlap, o.tokenizer),
            None => (None, None, None),
        };
        let numbers =
            whole("maxTokens", max, 400).and_then(|m| Ok((m, whole("overlap", overlap, 60)?)));
        let (max, overlap) = numbers.map_err(|e| coded(&env, e))?;
        let mut config = infrarag::chunk::ChunkConfig::new(max).with_overlap(overlap);
        let mut js = None;
        match tokenizer {
            Some(Either::B(func)) => js = Some(JsTokenizer::new(&env, func)?),
            name => {
                let name = match &name {
                    Some(Either::A(name)) => name.as_str(),
                    _ => "cl100k_base",
                };
                let built =
                    infrarag::tokens::by_name(name).map_err(|e| coded(&env, js_error(e)))?;
                config = config.with_tokenizer(Arc::from(built));
            }
        }
        let inner = infrarag::chunk::Chunker::new(config).map_err(|e| coded(&env, js_error(e)))?;
        Ok(Chunker { inner, js })
    }

    #[napi(getter)]
    pub fn max_tokens(&self) -> u32 {
        small(self.inner.config().max_tokens())
    }

    #[napi(getter)]
    pub fn overlap(&self) -> u32 {
        small(self.inner.config().overlap())
    }

    /// The built-in's name, or the tokenizer function's name.
    #[napi(getter)]
    pub fn tokenizer(&self) -> String {
        match &self.js {
            Some(js) => js.name().to_string(),
            None => self.inner.config().tokenizer().name().to_string(),
        }
    }

    /// Chunks one file's `content`; the language comes from `path`'s
    /// extension (`.tf`/`.tfvars`/`.hcl`, `.md`, anything else is text).
    #[napi]
    pub fn chunk_file(&self, env: Env, path: String, content: String) -> Result<Vec<Chunk>> {
        let chunks = self.run(&env, |c| Ok(c.chunk_file(&path, &content)))?;
        Ok(chunks.into_iter().map(Chunk::from).collect())
    }

    /// Chunks every text file under `dir` off the main thread, honouring
    /// `.gitignore` and skipping `.terraform/`, binaries and non-UTF-8
    /// files (listed in `skipped`). Rejects with IO_ERROR when `dir`
    /// cannot be read.
    #[napi(ts_return_type = "Promise<chunk.DirChunks>")]
    pub fn chunk_dir(
        &self,
        env: Env,
        dir: String,
        options: Option<ChunkDirOptions>,
        signal: Option<AbortSignal>,
    ) -> Result<AsyncTask<ChunkDirTask>> {
        let (chunker, counter) = match &self.js {
            Some(js) => {
                let counter = js.remote();
                let config = self.inner.config().clone().with_tokenizer(counter.clone());
                let chunker =
                    infrarag::chunk::Chunker::new(config).map_err(|e| coded(&env, js_error(e)))?;
                (chunker, Some(counter))
            }
            None => (self.inner.clone(), None),
        };
        let cancel = infrarag::CancelToken::new();
        Ok(abortable(
            ChunkDirTask {
                chunker,
                counter,
                dir,
                options,
                cancel: cancel.clone(),
                failure: None,
                thrown: None,
            },
            signal,
            Some(&cancel),
        ))
    }

    /// `chunkDir`, blocking the calling thread.
    #[napi]
    pub fn chunk_dir_sync(
        &self,
        env: Env,
        dir: String,
        options: Option<ChunkDirOptions>,
    ) -> Result<DirChunks> {
        self.run(&env, |c| chunk_dir_with(c, &dir, options.as_ref(), None))
    }
}

impl Chunker {
    /// Runs `work` here, or beside a main thread that answers a tokenizer
    /// function's counts; core errors get their `code`.
    fn run<T: Send>(
        &self,
        env: &Env,
        work: impl FnOnce(&infrarag::chunk::Chunker) -> Result<T, Code> + Send,
    ) -> Result<T> {
        let out = match &self.js {
            Some(js) => js.pumped(env, self.inner.config(), work)?,
            None => work(&self.inner),
        };
        out.map_err(|e| coded(env, e))
    }
}

pub struct ChunkDirTask {
    chunker: infrarag::chunk::Chunker,
    counter: Option<Arc<JsCounter>>,
    dir: String,
    options: Option<ChunkDirOptions>,
    cancel: infrarag::CancelToken,
    failure: Option<napi::Error<Code>>,
    /// What the tokenizer function threw, rethrown as it is.
    thrown: Option<napi::Error>,
}

impl Task for ChunkDirTask {
    type Output = DirChunks;
    type JsValue = DirChunks;

    fn compute(&mut self) -> Result<Self::Output> {
        let out = chunk_dir_with(
            &self.chunker,
            &self.dir,
            self.options.as_ref(),
            Some(&self.cancel),
        );
        if let Some(thrown) = self.counter.as_ref().and_then(|c| c.take_failure()) {
            self.thrown = Some(thrown);
            return Err(napi::Error::new(Status::GenericFailure, "tokenizer failed"));
        }
        kept(&mut self.failure, out)
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(output)
    }

    fn reject(&mut self, env: Env, err: napi::Error) -> Result<Self::JsValue> {
        if let Some(thrown) = self.thrown.take() {
            return Err(thrown);
        }
        reject_with_code(env, err, self.failure.take())
    }
}

/// What each signal thought of a hit: raw score and 1-based rank.
#[napi(object, namespace = "index")]
pub struct Signal {
    pub score: f64,
    pub rank: u32,
}

/// One search result.
#[napi(object, namespace = "index")]
pub struct Hit {
    pub chunk: Chunk,
    /// Sum over signals of `1 / (60 + rank)`; one signal's raw score when
    /// only one was used.
    pub score: f64,
    pub lexical: Option<Signal>,
    pub code: Option<Signal>,
    pub summary: Option<Signal>,
    /// `path:start-end` (lines, 1-based).
    pub citation: String,
}

/// What `addPath` changed.
#[napi(object, namespace = "index")]
pub struct IngestReport {
    pub added: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub removed: u32,
    pub chunks: u32,
    pub skipped: Vec<Skipped>,
}

/// A file the index holds.
#[napi(object, namespace = "index")]
pub struct Source {
    pub path: String,
    pub content_hash: String,
    pub chunks: u32,
}

/// Options of `search`.
#[napi(object, namespace = "index")]
#[derive(Default)]
pub struct SearchOptions {
    /// Hits to return (default 10): a whole number.
    pub k: Option<f64>,
    /// HNSW search breadth (default 64): higher finds more of the true
    /// nearest vectors, slower.
    pub ef: Option<f64>,
    /// `"hybrid"` (default), `"vector"` or `"lexical"`.
    pub mode: Option<String>,
    pub path_prefix: Option<String>,
    /// `"hcl"`, `"markdown"` or `"text"`.
    pub language: Option<String>,
    pub block_type: Option<String>,
    pub address: Option<String>,
}

fn signal(s: Option<infrarag::index::Signal>) -> Option<Signal> {
    s.map(|s| Signal {
        score: f64::from(s.score),
        rank: small(s.rank),
    })
}

/// An index the JS object and its running tasks share.
pub(crate) struct IndexCell {
    index: infrarag::index::SharedIndex,
    /// Its stores are JS objects, which only the Promise methods may reach.
    js_stores: bool,
}

pub(crate) type SharedIndex = std::sync::Arc<IndexCell>;

/// `js_stores`: the index runs on JS objects (see `sync_allowed`).
fn shared(index: infrarag::index::Index, js_stores: bool) -> SharedIndex {
    std::sync::Arc::new(IndexCell {
        index: infrarag::index::SharedIndex::new(index),
        js_stores,
    })
}

/// Refuses a synchronous call that would reach JS stores: they answer on
/// the main thread, which the call is holding.
fn sync_allowed(index: &SharedIndex) -> Result<(), Code> {
    if index.js_stores {
        return Err(napi::Error::new(
            Code::plain("INVALID_ARGUMENT"),
            "this index's stores are JavaScript objects: use addPath, searchAsync and \
             removePathAsync, which leave the main thread free to answer them"
                .to_string(),
        ));
    }
    Ok(())
}

/// `f` on the index as last committed; waits only for a commit.
pub(crate) fn read<T>(
    index: &SharedIndex,
    f: impl FnOnce(&infrarag::index::Index) -> T,
) -> Result<T, Code> {
    index.index.read(f).map_err(js_error)
}

/// `cancel`: the Promise's token; without one the call is on the main
/// thread, where waiting for a running ingestion would hold the event loop,
/// so it fails with BUSY instead.
fn add_path_with(
    index: &SharedIndex,
    dir: &str,
    extensions: Option<Vec<String>>,
    cancel: Option<&infrarag::CancelToken>,
) -> Result<IngestReport, Code> {
    let mut job = index.index.add_path(dir).wait(cancel.is_some());
    if let Some(c) = cancel {
        job = job.on_progress(move |_| match c.is_cancelled() {
            true => std::ops::ControlFlow::Break(()),
            false => std::ops::ControlFlow::Continue(()),
        });
    }
    if let Some(e) = extensions {
        job = job.extensions(e);
    }
    let r = job.execute().map_err(js_error)?;
    Ok(IngestReport {
        added: small(r.added),
        updated: small(r.updated),
        unchanged: small(r.unchanged),
        removed: small(r.removed),
        chunks: small(r.chunks),
        skipped: r.skipped.into_iter().map(Skipped::from).collect(),
    })
}

/// What `embed.Embedder.http` needs: where to POST and the model, and how
/// to treat the endpoint.
#[napi(object, namespace = "embed")]
pub struct HttpEmbedderOptions {
    /// e.g. `https://api.openai.com/v1/embeddings`, or
    /// `http://localhost:11434/v1/embeddings` for Ollama.
    pub url: String,
    pub model: String,
    /// Sent as `Authorization: Bearer <apiKey>`.
    pub api_key: Option<String>,
    /// Sent on every request (Azure: `{ "api-key": ... }`).
    pub headers: Option<std::collections::HashMap<String, String>>,
    /// The vectors' length; without it the endpoint is asked once, blocking.
    pub dimension: Option<f64>,
    /// Texts per request (default 64).
    pub batch_size: Option<f64>,
    /// Requests in flight at once (default 4).
    pub concurrency: Option<f64>,
    /// Limit per request in milliseconds (default 60000).
    pub timeout_ms: Option<f64>,
    /// Retries after 408/409/429/5xx, timeouts and lost connections, with
    /// backoff and jitter, honouring Retry-After (default 5).
    pub max_retries: Option<f64>,
}

/// Turns texts into vectors: `Embedder.hashing()` (offline, the default) or
/// `Embedder.http({ url, model })` (any OpenAI-compatible endpoint).
/// Failures of an endpoint throw (or reject) with code PROVIDER_ERROR and
/// the fields `provider` (the host), `model`, `status` (the last HTTP
/// status, or null) and `requestId` (or null); the message says the same.
#[napi(namespace = "embed")]
pub struct Embedder {
    inner: std::sync::Arc<dyn infrarag::embed::Embedder>,
}

#[napi(namespace = "embed")]
impl Embedder {
    /// Signed feature hashing of code-aware terms and trigrams (16 to 65536
    /// dimensions, default 384); deterministic, no model.
    #[napi(factory)]
    pub fn hashing(dimension: Option<f64>) -> Result<Self, Code> {
        let dimension = whole("dimension", dimension, 384)?;
        let inner = infrarag::embed::Hashing::new(dimension).map_err(js_error)?;
        Ok(Embedder {
            inner: std::sync::Arc::new(inner),
        })
    }

    /// An OpenAI-compatible `/v1/embeddings` endpoint.
    #[napi(factory)]
    pub fn http(env: Env, options: HttpEmbedderOptions) -> Result<Self> {
        let o = options;
        let mut b = infrarag::embed::HttpEmbedder::builder(o.url, o.model);
        if let Some(key) = o.api_key {
            b = b.api_key(key);
        }
        for (k, v) in o.headers.unwrap_or_default() {
            b = b.header(k, v);
        }
        let count = |name: &str, v: Option<f64>| {
            v.map(|_| whole(name, v, 0))
                .transpose()
                .map_err(|e| coded(&env, e))
        };
        if let Some(d) = count("dimension", o.dimension)? {
            b = b.dimension(d);
        }
        if let Some(n) = count("batchSize", o.batch_size)? {
            b = b.batch_size(n);
        }
        if let Some(n) = count("concurrency", o.concurrency)? {
            b = b.concurrency(n);
        }
        if let Some(ms) = count("timeoutMs", o.timeout_ms)? {
            b = b.timeout(std::time::Duration::from_millis(ms as u64));
        }
        if let Some(n) = count("maxRetries", o.max_retries)? {
            b = b.max_retries(n as u32);
        }
        // Probing the dimension can reach the endpoint: its failure is
        // thrown with all its fields.
        let built = b.build().map_err(|e| coded(&env, js_error(e)))?;
        Ok(Embedder {
            inner: std::sync::Arc::new(built),
        })
    }

    #[napi(getter)]
    pub fn model(&self) -> String {
        self.inner.model().to_string()
    }

    #[napi(getter)]
    pub fn dimension(&self) -> u32 {
        small(self.inner.dimension())
    }

    /// One vector per text, in order, computed off the main thread.
    #[napi(ts_return_type = "Promise<Array<Array<number>>>")]
    pub fn embed(&self, texts: Vec<String>, signal: Option<AbortSignal>) -> AsyncTask<EmbedTask> {
        let task = EmbedTask {
            embedder: self.inner.clone(),
            texts,
            failure: None,
        };
        abortable(task, signal, None)
    }

    /// `embed`, blocking the calling thread.
    #[napi]
    pub fn embed_sync(&self, env: Env, texts: Vec<String>) -> Result<Vec<Vec<f64>>> {
        embed_with(&*self.inner, &texts).map_err(|e| coded(&env, e))
    }
}

fn embed_with(
    embedder: &dyn infrarag::embed::Embedder,
    texts: &[String],
) -> Result<Vec<Vec<f64>>, Code> {
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let vectors = embedder.embed(&refs).map_err(js_error)?;
    Ok(vectors
        .into_iter()
        .map(|v| v.into_iter().map(f64::from).collect())
        .collect())
}

pub struct EmbedTask {
    embedder: std::sync::Arc<dyn infrarag::embed::Embedder>,
    texts: Vec<String>,
    failure: Option<napi::Error<Code>>,
}

impl Task for EmbedTask {
    type Output = Vec<Vec<f64>>;
    type JsValue = Vec<Vec<f64>>;

    fn compute(&mut self) -> Result<Self::Output> {
        kept(&mut self.failure, embed_with(&*self.embedder, &self.texts))
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(output)
    }

    fn reject(&mut self, env: Env, err: napi::Error) -> Result<Self::JsValue> {
        reject_with_code(env, err, self.failure.take())
    }
}

fn index_builder(embedder: Option<&Embedder>) -> infrarag::index::IndexBuilder {
    let builder = infrarag::index::Index::builder();
    match embedder {
        Some(e) => builder.embedder(e.inner.clone()),
        None => builder,
    }
}

/// Chunks with BM25 terms and code and summary vectors (offline embedder),
/// in memory (`new Index()`) or in one crash-safe file (`Index.open(path)`);
/// hybrid search fuses them by rank.
#[napi(namespace = "index")]
pub struct Index {
    inner: SharedIndex,
}

#[napi(namespace = "index")]
impl Index {
    /// An empty index in memory, embedding with `embedder` (default
    /// `Embedder.hashing()`).
    #[napi(constructor)]
    pub fn new(embedder: Option<&Embedder>) -> Self {
        Index {
            inner: shared(index_builder(embedder).in_memory(), false),
        }
    }

    /// The number of chunks held.
    #[napi(getter)]
    pub fn size(&self) -> Result<u32, Code> {
        read(&self.inner, |index| small(index.len()))
    }

    /// The embedder's model id.
    #[napi(getter)]
    pub fn model(&self) -> Result<String, Code> {
        read(&self.inner, |index| index.model().to_string())
    }

    /// Ingests the text files under `dir` off the main thread: new and
    /// changed files chunked and embedded, unchanged ones (same SHA-256)
    /// skipped, files held under `dir` that are gone removed. Rejects with
    /// IO_ERROR when `dir` cannot be read; nothing changes then.
    #[napi(ts_return_type = "Promise<index.IngestReport>")]
    pub fn add_path(
        &self,
        dir: String,
        extensions: Option<Vec<String>>,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<AddPathTask> {
        let cancel = infrarag::CancelToken::new();
        let task = AddPathTask {
            index: self.inner.clone(),
            dir,
            extensions,
            cancel: cancel.clone(),
            failure: None,
        };
        abortable(task, signal, Some(&cancel))
    }

    /// `addPath`, blocking the calling thread. Throws BUSY instead of
    /// waiting while another ingestion or removal runs on this index.
    #[napi]
    pub fn add_path_sync(
        &self,
        env: Env,
        dir: String,
        extensions: Option<Vec<String>>,
    ) -> Result<IngestReport> {
        sync_allowed(&self.inner)
            .and_then(|()| add_path_with(&self.inner, &dir, extensions, None))
            .map_err(|e| coded(&env, e))
    }

    /// The best chunks for `query`, best first (about a millisecond). A
    /// running `addPath` does not hold it up: it sees the index as before
    /// or after that ingestion, never part of it.
    #[napi]
    pub fn search(
        &self,
        env: Env,
        query: String,
        options: Option<SearchOptions>,
    ) -> Result<Vec<Hit>> {
        sync_allowed(&self.inner)
            .and_then(|()| search_with(&self.inner, &query, options.unwrap_or_default()))
            .map_err(|e| coded(&env, e))
    }

    /// `search` off the main thread: use it when the embedder is remote, so
    /// the event loop is not held while the query is embedded.
    #[napi(ts_return_type = "Promise<Array<index.Hit>>")]
    pub fn search_async(
        &self,
        query: String,
        options: Option<SearchOptions>,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<SearchTask> {
        let task = SearchTask {
            index: self.inner.clone(),
            query,
            options: Some(options.unwrap_or_default()),
            failure: None,
        };
        abortable(task, signal, None)
    }

    /// The files held, in path order.
    #[napi]
    pub fn sources(&self) -> Result<Vec<Source>, Code> {
        let sources = read(&self.inner, |index| index.sources())?;
        Ok(sources
            .into_iter()
            .map(|s| Source {
                path: s.path,
                content_hash: s.content_hash,
                chunks: small(s.chunks),
            })
            .collect())
    }

    /// Forgets every file under `dir`; returns how many. Throws BUSY instead
    /// of waiting while an ingestion or removal runs on this index.
    #[napi]
    pub fn remove_path(&self, dir: String) -> Result<u32, Code> {
        sync_allowed(&self.inner)?;
        remove_path_with(&self.inner, &dir, false)
    }

    /// `removePath` off the main thread.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn remove_path_async(
        &self,
        dir: String,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<RemovePathTask> {
        let task = RemovePathTask {
            index: self.inner.clone(),
            dir,
            failure: None,
        };
        abortable(task, signal, None)
    }

    /// An index on stores of your own, built off the main thread: what they
    /// hold is loaded and reconciled, and every change is written through.
    /// `documents` has `load()` and `apply({ remove, put })`; `code` and
    /// `summary` have `dimension`, `ids()`, `upsert(records)`,
    /// `delete(ids)` and `search({ vector, k, filter })` returning
    /// `[id, similarity]` pairs. Methods run on the main thread and must
    /// return their results (not Promises); use the index's Promise methods
    /// (`addPath`, `searchAsync`, `removePathAsync`) only.
    #[napi(ts_return_type = "Promise<index.Index>")]
    pub fn with_stores(
        documents: Object,
        code: Object,
        summary: Object,
        embedder: Option<&Embedder>,
        signal: Option<AbortSignal>,
    ) -> Result<AsyncTask<WithStoresTask>> {
        let stores = infrarag::store::Stores {
            documents: Box::new(js_store::JsDocumentStore::new(&documents)?),
            code: Box::new(js_store::JsVectorStore::new(&code)?),
            summary: Box::new(js_store::JsVectorStore::new(&summary)?),
        };
        let task = WithStoresTask {
            builder: Some(index_builder(embedder)),
            stores: Some(stores),
            failure: None,
        };
        Ok(abortable(task, signal, None))
    }

    /// Opens the index file at `path` off the main thread, creating it when
    /// missing: chunks and vectors are read back, not recomputed, and every
    /// change is written through. The file is locked while open; rejects
    /// with STORAGE_ERROR when it is locked, not an index, or holds vectors
    /// of another embedder.
    #[napi(ts_return_type = "Promise<index.Index>")]
    pub fn open(
        path: String,
        embedder: Option<&Embedder>,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<OpenTask> {
        let task = OpenTask {
            path,
            builder: Some(index_builder(embedder)),
            failure: None,
        };
        abortable(task, signal, None)
    }

    /// Writes nothing more and unlocks the index file (waiting for a running
    /// `addPath`); every later call fails with STORAGE_ERROR. Closing twice
    /// is harmless.
    #[napi]
    pub fn close(&self) -> Result<(), Code> {
        self.inner.index.close().map_err(js_error)
    }

    /// `open`, blocking the calling thread.
    #[napi(factory)]
    pub fn open_sync(path: String, embedder: Option<&Embedder>) -> Result<Index, Code> {
        open_index(index_builder(embedder), &path)
    }
}

fn search_with(index: &SharedIndex, query: &str, o: SearchOptions) -> Result<Vec<Hit>, Code> {
    let mode: infrarag::index::SearchMode = o
        .mode
        .as_deref()
        .unwrap_or("hybrid")
        .parse()
        .map_err(js_error)?;
    let language = o
        .language
        .as_deref()
        .map(str::parse::<infrarag::chunk::Language>)
        .transpose()
        .map_err(js_error)?;
    let filter = infrarag::index::Filter {
        path_prefix: o.path_prefix,
        language,
        block_type: o.block_type,
        address: o.address,
    };
    let k = whole("k", o.k, 10)?;
    let ef = whole("ef", o.ef, 64)?;
    let hits = read(index, |index| {
        index
            .search(query)
            .k(k)
            .mode(mode)
            .filter(filter)
            .ef(ef)
            .execute()
    })?
    .map_err(js_error)?;
    Ok(hits
        .into_iter()
        .map(|h| Hit {
            citation: h.citation(),
            score: f64::from(h.score),
            lexical: signal(h.scores.lexical),
            code: signal(h.scores.code),
            summary: signal(h.scores.summary),
            chunk: Chunk::from(h.chunk),
        })
        .collect())
}

pub struct SearchTask {
    index: SharedIndex,
    query: String,
    options: Option<SearchOptions>,
    failure: Option<napi::Error<Code>>,
}

impl Task for SearchTask {
    type Output = Vec<Hit>;
    type JsValue = Vec<Hit>;

    fn compute(&mut self) -> Result<Self::Output> {
        let options = self.options.take().unwrap_or_default();
        kept(
            &mut self.failure,
            search_with(&self.index, &self.query, options),
        )
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(output)
    }

    fn reject(&mut self, env: Env, err: napi::Error) -> Result<Self::JsValue> {
        reject_with_code(env, err, self.failure.take())
    }
}

/// `wait`: as for [`add_path_with`].
fn remove_path_with(index: &SharedIndex, dir: &str, wait: bool) -> Result<u32, Code> {
    let removed = match wait {
        true => index.index.remove_path(dir),
        false => index.index.try_remove_path(dir),
    };
    Ok(small(removed.map_err(js_error)?))
}

pub struct RemovePathTask {
    index: SharedIndex,
    dir: String,
    failure: Option<napi::Error<Code>>,
}

impl Task for RemovePathTask {
    type Output = u32;
    type JsValue = u32;

    fn compute(&mut self) -> Result<Self::Output> {
        kept(
            &mut self.failure,
            remove_path_with(&self.index, &self.dir, true),
        )
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(output)
    }

    fn reject(&mut self, env: Env, err: napi::Error) -> Result<Self::JsValue> {
        reject_with_code(env, err, self.failure.take())
    }
}

pub struct WithStoresTask {
    builder: Option<infrarag::index::IndexBuilder>,
    stores: Option<infrarag::store::Stores>,
    failure: Option<napi::Error<Code>>,
}

impl Task for WithStoresTask {
    type Output = Index;
    type JsValue = Index;

    fn compute(&mut self) -> Result<Self::Output> {
        let (Some(builder), Some(stores)) = (self.builder.take(), self.stores.take()) else {
            return Err(napi::Error::from_reason("the index was already built"));
        };
        let built = builder.stores(stores).map_err(js_error).map(|index| Index {
            inner: shared(index, true),
        });
        kept(&mut self.failure, built)
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(output)
    }

    fn reject(&mut self, env: Env, err: napi::Error) -> Result<Self::JsValue> {
        reject_with_code(env, err, self.failure.take())
    }
}

fn open_index(builder: infrarag::index::IndexBuilder, path: &str) -> Result<Index, Code> {
    let index = builder.open(path).map_err(js_error)?;
    Ok(Index {
        inner: shared(index, false),
    })
}

pub struct OpenTask {
    path: String,
    builder: Option<infrarag::index::IndexBuilder>,
    failure: Option<napi::Error<Code>>,
}

impl Task for OpenTask {
    type Output = Index;
    type JsValue = Index;

    fn compute(&mut self) -> Result<Self::Output> {
        let builder = self
            .builder
            .take()
            .unwrap_or_else(infrarag::index::Index::builder);
        kept(&mut self.failure, open_index(builder, &self.path))
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(output)
    }

    fn reject(&mut self, env: Env, err: napi::Error) -> Result<Self::JsValue> {
        reject_with_code(env, err, self.failure.take())
    }
}

pub struct AddPathTask {
    index: SharedIndex,
    dir: String,
    extensions: Option<Vec<String>>,
    cancel: infrarag::CancelToken,
    failure: Option<napi::Error<Code>>,
}

impl Task for AddPathTask {
    type Output = IngestReport;
    type JsValue = IngestReport;

    fn compute(&mut self) -> Result<Self::Output> {
        kept(
            &mut self.failure,
            add_path_with(
                &self.index,
                &self.dir,
                self.extensions.take(),
                Some(&self.cancel),
            ),
        )
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(output)
    }

    fn reject(&mut self, env: Env, err: napi::Error) -> Result<Self::JsValue> {
        reject_with_code(env, err, self.failure.take())
    }
}
