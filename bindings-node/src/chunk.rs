//! `chunk`: chunks and the chunker, directories chunked off the main thread.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use std::sync::Arc;

use crate::convert::small;
use crate::error::{coded, counted, js_error, unpanicked, whole, Code};
use crate::js_tokenizer::{JsCounter, JsTokenizer, TokenCount};
use crate::task::{abortable, kept, reject_with_code};

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

pub(crate) fn chunk_dir_with(
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

impl Chunker {
    /// The core chunker, for an index: refused when it counts with a JS
    /// function, which ingestion off the main thread could not call while
    /// a sync call holds that thread.
    pub(crate) fn for_index(&self) -> Result<infrarag::chunk::Chunker, Code> {
        if self.js.is_some() {
            return Err(crate::error::invalid(
                "chunker",
                "an index cannot count tokens with a JavaScript function; give the Chunker a built-in tokenizer name".into(),
            ));
        }
        Ok(self.inner.clone())
    }
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
        let defaults = infrarag::chunk::ChunkConfig::default();
        let numbers = counted("maxTokens", max).and_then(|m| Ok((m, counted("overlap", overlap)?)));
        let (max, overlap) = numbers.map_err(|e| coded(&env, e))?;
        let mut config = infrarag::chunk::ChunkConfig::new(max.unwrap_or(defaults.max_tokens()))
            .with_overlap(overlap.unwrap_or(defaults.overlap()));
        let mut js = None;
        match tokenizer {
            Some(Either::B(func)) => js = Some(JsTokenizer::new(&env, func)?),
            name => {
                let name = match &name {
                    Some(Either::A(name)) => name.as_str(),
                    _ => infrarag::tokens::DEFAULT,
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
    /// files (listed in `skipped`). The summary of a resource, data source
    /// or module call quotes the descriptions of the variables it reads that
    /// its directory declares (`; inputs: "…"`), which `chunkFile` alone
    /// cannot see. Rejects with IO_ERROR when `dir` cannot be read.
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
        let work = |c: &infrarag::chunk::Chunker| unpanicked(|| work(c));
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
        let out = unpanicked(|| {
            chunk_dir_with(
                &self.chunker,
                &self.dir,
                self.options.as_ref(),
                Some(&self.cancel),
            )
        });
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
