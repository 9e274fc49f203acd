//! Node bindings: converts values, maps errors to stable `code`s, and runs
//! directory work on the libuv thread pool. No logic lives here.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use infrarag::hcl::{self, Dialect, LoadsOptions};
use infrarag::terraform::Module;

/// A JS error whose `code` is the core's stable code (`PARSE_ERROR`,
/// `INVALID_UTF8`, `IO_ERROR`, `INVALID_ARGUMENT`).
fn js_error(err: infrarag::Error) -> napi::Error<String> {
    let message = match &err {
        infrarag::Error::Parse { diagnostics, .. } => {
            let diags = serde_json::to_string(diagnostics).unwrap_or_default();
            format!("{err}\ndiagnostics: {diags}")
        }
        _ => err.to_string(),
    };
    napi::Error::new(err.code().to_string(), message)
}

fn internal(err: impl std::fmt::Display) -> napi::Error<String> {
    napi::Error::new("INTERNAL".to_string(), err.to_string())
}

#[napi(object)]
pub struct ParseOptions {
    /// The python-hcl2 format to reproduce: `"v7"` (7.3.1, the default) or
    /// `"v8"` (8.1.4 with its default options).
    pub dialect: Option<String>,
    /// Add `__start_line__` / `__end_line__` to block bodies (`"v7"` only).
    pub with_meta: Option<bool>,
}

fn loads_options(options: Option<ParseOptions>) -> Result<LoadsOptions, String> {
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

/// Parses HCL into the JSON python-hcl2 returns for it.
#[napi(namespace = "hcl")]
pub fn parse(text: String, options: Option<ParseOptions>) -> Result<serde_json::Value, String> {
    let opts = loads_options(options)?;
    hcl::loads(&text, &opts).map_err(js_error)
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

fn module_json(dir: &str) -> Result<serde_json::Value, String> {
    let m = Module::load(dir).map_err(js_error)?;
    serde_json::to_value(&m).map_err(internal)
}

/// Loads a Terraform module directory, blocking the calling thread.
#[napi(namespace = "hcl")]
pub fn load_module_sync(dir: String) -> Result<serde_json::Value, String> {
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
    failure: Option<napi::Error<String>>,
}

impl Task for LoadModuleTask {
    type Output = serde_json::Value;
    type JsValue = Json;

    fn compute(&mut self) -> Result<Self::Output> {
        module_json(&self.dir).map_err(|e| {
            let generic = napi::Error::new(Status::GenericFailure, e.reason.clone());
            self.failure = Some(e);
            generic
        })
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(Json(output))
    }

    fn reject(&mut self, env: Env, err: napi::Error) -> Result<Self::JsValue> {
        reject_with_code(env, err, self.failure.take())
    }
}

/// Rejects a task's Promise with a JS Error carrying the core's `code`,
/// built here on the JS thread from the failure `compute` kept.
fn reject_with_code<T>(
    env: Env,
    err: napi::Error,
    failure: Option<napi::Error<String>>,
) -> Result<T> {
    let Some(failure) = failure else {
        return Err(err);
    };
    let mut error = env.create_error(napi::Error::new(
        Status::GenericFailure,
        failure.reason.clone(),
    ))?;
    error.set_named_property("code", failure.status.as_str())?;
    Err(napi::Error::from(error.into_unknown(&env)?))
}

/// Loads a Terraform module directory off the main thread.
#[napi(namespace = "hcl")]
pub fn load_module(dir: String) -> AsyncTask<LoadModuleTask> {
    AsyncTask::new(LoadModuleTask { dir, failure: None })
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
    pub fn new(name: Option<String>) -> Result<Self, String> {
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
    pub fn decode(&self, tokens: Vec<u32>) -> Result<String, String> {
        self.inner.decode(&tokens).map_err(js_error)
    }
}

/// Options of a [`Chunker`].
#[napi(object, namespace = "chunk")]
pub struct ChunkerOptions {
    /// Most tokens per chunk (default 400, at least 8).
    pub max_tokens: Option<u32>,
    /// Tokens a piece of split text may repeat from the previous one
    /// (default 60, at most half of `maxTokens`).
    pub overlap: Option<u32>,
    /// `"cl100k_base"` (the default), `"o200k_base"` or `"approximate"`.
    pub tokenizer: Option<String>,
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
    pub max_file_bytes: Option<u32>,
}

fn chunk_dir_with(
    chunker: &infrarag::chunk::Chunker,
    dir: &str,
    options: Option<&ChunkDirOptions>,
) -> Result<DirChunks, String> {
    let mut job = chunker.chunk_dir(dir);
    if let Some(o) = options {
        if let Some(e) = &o.extensions {
            job = job.extensions(e.clone());
        }
        job = job.include_hidden(o.include_hidden.unwrap_or(false));
        if let Some(b) = o.max_file_bytes {
            job = job.max_file_bytes(u64::from(b));
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
        skipped: out
            .skipped
            .into_iter()
            .map(|s| Skipped {
                path: s.path,
                reason: s.reason,
            })
            .collect(),
    })
}

/// Splits files into chunks of at most `maxTokens` tokens: Terraform/HCL by
/// block, Markdown by heading, other text by separators.
#[napi(namespace = "chunk")]
pub struct Chunker {
    inner: infrarag::chunk::Chunker,
}

#[napi(namespace = "chunk")]
impl Chunker {
    /// Throws INVALID_ARGUMENT for a budget under 8, an overlap over half
    /// of it, or an unknown tokenizer.
    #[napi(constructor)]
    pub fn new(options: Option<ChunkerOptions>) -> Result<Self, String> {
        let (max, overlap, tokenizer) = match options {
            Some(o) => (o.max_tokens, o.overlap, o.tokenizer),
            None => (None, None, None),
        };
        let tokenizer = infrarag::tokens::by_name(tokenizer.as_deref().unwrap_or("cl100k_base"))
            .map_err(js_error)?;
        let config = infrarag::chunk::ChunkConfig::new(max.unwrap_or(400) as usize)
            .with_overlap(overlap.unwrap_or(60) as usize)
            .with_tokenizer(std::sync::Arc::from(tokenizer));
        let inner = infrarag::chunk::Chunker::new(config).map_err(js_error)?;
        Ok(Chunker { inner })
    }

    #[napi(getter)]
    pub fn max_tokens(&self) -> u32 {
        small(self.inner.config().max_tokens())
    }

    #[napi(getter)]
    pub fn overlap(&self) -> u32 {
        small(self.inner.config().overlap())
    }

    #[napi(getter)]
    pub fn tokenizer(&self) -> String {
        self.inner.config().tokenizer().name().to_string()
    }

    /// Chunks one file's `content`; the language comes from `path`'s
    /// extension (`.tf`/`.tfvars`/`.hcl`, `.md`, anything else is text).
    #[napi]
    pub fn chunk_file(&self, path: String, content: String) -> Vec<Chunk> {
        self.inner
            .chunk_file(&path, &content)
            .into_iter()
            .map(Chunk::from)
            .collect()
    }

    /// Chunks every text file under `dir` off the main thread, honouring
    /// `.gitignore` and skipping `.terraform/`, binaries and non-UTF-8
    /// files (listed in `skipped`). Rejects with IO_ERROR when `dir`
    /// cannot be read.
    #[napi(ts_return_type = "Promise<chunk.DirChunks>")]
    pub fn chunk_dir(
        &self,
        dir: String,
        options: Option<ChunkDirOptions>,
    ) -> AsyncTask<ChunkDirTask> {
        AsyncTask::new(ChunkDirTask {
            chunker: self.inner.clone(),
            dir,
            options,
            failure: None,
        })
    }

    /// `chunkDir`, blocking the calling thread.
    #[napi]
    pub fn chunk_dir_sync(
        &self,
        dir: String,
        options: Option<ChunkDirOptions>,
    ) -> Result<DirChunks, String> {
        chunk_dir_with(&self.inner, &dir, options.as_ref())
    }
}

pub struct ChunkDirTask {
    chunker: infrarag::chunk::Chunker,
    dir: String,
    options: Option<ChunkDirOptions>,
    failure: Option<napi::Error<String>>,
}

impl Task for ChunkDirTask {
    type Output = DirChunks;
    type JsValue = DirChunks;

    fn compute(&mut self) -> Result<Self::Output> {
        chunk_dir_with(&self.chunker, &self.dir, self.options.as_ref()).map_err(|e| {
            let generic = napi::Error::new(Status::GenericFailure, e.reason.clone());
            self.failure = Some(e);
            generic
        })
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(output)
    }

    fn reject(&mut self, env: Env, err: napi::Error) -> Result<Self::JsValue> {
        reject_with_code(env, err, self.failure.take())
    }
}
