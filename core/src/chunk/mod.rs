//! Chunking: splits Terraform/HCL, Markdown and text into token-budgeted
//! [`Chunk`]s that keep their source, span, block address and a summary.
//!
//! ```
//! use infrarag::chunk::{ChunkConfig, Chunker, ChunkKind};
//!
//! let chunker = Chunker::new(ChunkConfig::new(400).with_overlap(60))?;
//! let chunks = chunker.chunk_file("s3/main.tf", "resource \"aws_s3_bucket\" \"logs\" {\n  bucket = var.name\n}\n");
//! assert_eq!(chunks[0].kind, ChunkKind::Block);
//! assert_eq!(chunks[0].address.as_deref(), Some("aws_s3_bucket.logs"));
//! let summary = &chunks[0].summary;
//! assert!(summary.starts_with("resource aws_s3_bucket \"logs\" in s3/main.tf: sets bucket; references var.name"));
//! // With the `providers` feature, what the provider's documentation says the block is:
//! #[cfg(feature = "providers")]
//! assert!(summary.ends_with("; what it is: S3 (Simple Storage): Provides a S3 bucket resource."));
//! # Ok::<(), infrarag::Error>(())
//! ```

mod dir;
mod hcl;
mod inputs;
mod markdown;
mod split;

use std::ops::Range;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::hcl::source::LineIndex;
use crate::tokens::Tokenizer;

pub use dir::{ChunkDir, ChunkedFile, DirChunks, Skipped, WalkProgress};
pub(crate) use inputs::split as split_inputs;

/// How a chunk's source is read, chosen from the file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    /// HCL native syntax: `.tf`, `.tfvars`, `.hcl`.
    Hcl,
    /// `.md`, `.markdown`, `.mdx`.
    Markdown,
    /// Everything else, `.tf.json` included: split by separators.
    Text,
}

impl Language {
    /// The language of a path, by extension.
    pub fn for_path(path: &str) -> Language {
        let ext = path
            .rsplit(['/', '\\'])
            .next()
            .and_then(|name| name.rsplit_once('.'))
            .map(|(_, ext)| ext.to_ascii_lowercase());
        match ext.as_deref() {
            Some("tf" | "tfvars" | "hcl") => Language::Hcl,
            Some("md" | "markdown" | "mdx") => Language::Markdown,
            _ => Language::Text,
        }
    }

    /// The language's name: `hcl`, `markdown` or `text`.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Hcl => "hcl",
            Language::Markdown => "markdown",
            Language::Text => "text",
        }
    }
}

impl std::str::FromStr for Language {
    type Err = Error;

    /// The inverse of [`Language::as_str`].
    fn from_str(s: &str) -> Result<Language> {
        match s {
            "hcl" => Ok(Language::Hcl),
            "markdown" => Ok(Language::Markdown),
            "text" => Ok(Language::Text),
            other => Err(Error::InvalidArgument {
                name: "language".into(),
                message: format!("expected hcl, markdown or text, got {other:?}"),
            }),
        }
    }
}

/// What a chunk holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChunkKind {
    /// A whole top-level HCL block with the comments above it.
    Block,
    /// A piece of a top-level block over budget; its text repeats the
    /// block's header (and closes its brace) when the piece lacks them.
    BlockPart,
    /// Consecutive top-level attributes (`.tfvars`).
    Attributes,
    /// Comments after the last block of a file.
    Comment,
    /// Lines of an HCL region with syntax errors.
    Lines,
    /// A Markdown section, or a piece of one.
    Section,
    /// A piece of plain text or other code.
    Text,
}

impl ChunkKind {
    /// The kind's name, as chunks carry it.
    pub fn as_str(self) -> &'static str {
        match self {
            ChunkKind::Block => "block",
            ChunkKind::BlockPart => "block_part",
            ChunkKind::Attributes => "attributes",
            ChunkKind::Comment => "comment",
            ChunkKind::Lines => "lines",
            ChunkKind::Section => "section",
            ChunkKind::Text => "text",
        }
    }
}

/// One retrievable piece of a source file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chunk {
    /// 32 hex digits of SHA-256 over path, byte range and text: the same on
    /// every run and platform for the same input.
    pub id: String,
    /// The source path as given (`chunk_dir`: relative, `/`-separated).
    pub path: String,
    /// The language it was read as.
    pub language: Language,
    /// What the chunk is: a block, a section, a piece of text.
    pub kind: ChunkKind,
    /// What gets embedded. A slice of the source, except for block parts,
    /// which add the headers and braces they lack.
    pub text: String,
    /// HCL: the top-level block type (`resource`, `variable`, ...).
    pub block_type: Option<String>,
    /// HCL: the block's labels.
    pub labels: Vec<String>,
    /// HCL: the Terraform address (`aws_s3_bucket.logs`, `var.region`).
    pub address: Option<String>,
    /// Markdown: the headings above the chunk, outermost first.
    pub heading_path: Vec<String>,
    /// 1-based piece number among the pieces of one block or section.
    pub part: usize,
    /// How many pieces the block or section was split into (1: whole).
    pub parts: usize,
    /// 1-based first and last line of the source the chunk covers.
    pub start_line: usize,
    /// 1-based last line.
    pub end_line: usize,
    /// Byte range of the source the chunk covers (end exclusive).
    pub start_byte: usize,
    /// End of the byte range (exclusive).
    pub end_byte: usize,
    /// Tokens of `text` by the chunker's tokenizer.
    pub token_count: usize,
    /// SHA-256 of `text`, 64 hex digits.
    pub content_hash: String,
    /// A one-line description for a second, "summary" embedding:
    /// `resource aws_s3_bucket "logs" in s3/main.tf: sets bucket, acl; ...;
    /// what it is: S3 (Simple Storage): Provides a S3 bucket resource.` (the
    /// last part, from the provider documentation, with the `providers`
    /// feature).
    pub summary: String,
}

impl Chunk {
    /// The byte range of the source the chunk covers.
    pub fn bytes(&self) -> Range<usize> {
        self.start_byte..self.end_byte
    }
}

/// Budget and tokenizer of a [`Chunker`], set fluently:
/// `ChunkConfig::new(400).with_overlap(60)`.
#[derive(Clone)]
pub struct ChunkConfig {
    max_tokens: usize,
    overlap: usize,
    tokenizer: Arc<dyn Tokenizer>,
}

/// The smallest budget accepted: room for any character in any encoding.
pub const MIN_TOKENS: usize = 8;

/// The version of what this library's chunker makes of a file, part of
/// [`Chunker::fingerprint`]. Raised with any change to chunks' ranges,
/// texts or summaries, so that indexes chunk their files again.
/// 2: summaries quote the inputs a block reads, counted once per block.
pub const CHUNKS_VERSION: u32 = 2;

impl ChunkConfig {
    /// At most `max_tokens` per chunk, no overlap, counted with
    /// `cl100k_base` (or [`Approximate`](crate::tokens::Approximate) when
    /// built without the `tiktoken` feature).
    pub fn new(max_tokens: usize) -> Self {
        ChunkConfig {
            max_tokens,
            overlap: 0,
            tokenizer: default_tokenizer(),
        }
    }

    /// Tokens a piece of split text may repeat from the end of the previous
    /// piece. Whole blocks and sections never overlap.
    pub fn with_overlap(mut self, overlap: usize) -> Self {
        self.overlap = overlap;
        self
    }

    /// Counts tokens with `tokenizer` (default `cl100k_base`).
    pub fn with_tokenizer(mut self, tokenizer: Arc<dyn Tokenizer>) -> Self {
        self.tokenizer = tokenizer;
        self
    }

    /// The most tokens a chunk may have.
    pub fn max_tokens(&self) -> usize {
        self.max_tokens
    }

    /// Tokens a split piece may repeat from the previous one.
    pub fn overlap(&self) -> usize {
        self.overlap
    }

    /// The tokenizer counting.
    pub fn tokenizer(&self) -> &Arc<dyn Tokenizer> {
        &self.tokenizer
    }
}

impl Default for ChunkConfig {
    /// The platforms' defaults: 400 tokens, 60 of overlap, `cl100k_base`.
    fn default() -> Self {
        ChunkConfig::new(400).with_overlap(60)
    }
}

impl std::fmt::Debug for ChunkConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkConfig")
            .field("max_tokens", &self.max_tokens)
            .field("overlap", &self.overlap)
            .field("tokenizer", &self.tokenizer.name())
            .finish()
    }
}

fn default_tokenizer() -> Arc<dyn Tokenizer> {
    #[cfg(feature = "tiktoken")]
    {
        Arc::new(crate::tokens::Tiktoken::cl100k_base())
    }
    #[cfg(not(feature = "tiktoken"))]
    {
        Arc::new(crate::tokens::Approximate)
    }
}

/// Splits files into chunks by their language. Cheap to clone; shareable
/// across threads.
#[derive(Debug, Clone)]
pub struct Chunker {
    config: ChunkConfig,
}

impl Chunker {
    /// Checks the configuration: `max_tokens` at least [`MIN_TOKENS`] and
    /// `overlap` below half of it.
    pub fn new(config: ChunkConfig) -> Result<Chunker> {
        if config.max_tokens < MIN_TOKENS {
            return Err(Error::InvalidArgument {
                name: "max_tokens".into(),
                message: format!("must be at least {MIN_TOKENS}, got {}", config.max_tokens),
            });
        }
        if config.overlap * 2 > config.max_tokens {
            return Err(Error::InvalidArgument {
                name: "overlap".into(),
                message: format!(
                    "must be at most half of max_tokens ({}), got {}",
                    config.max_tokens, config.overlap
                ),
            });
        }
        Ok(Chunker { config })
    }

    /// How it chunks.
    pub fn config(&self) -> &ChunkConfig {
        &self.config
    }

    /// What makes its chunks what they are: this library's chunking
    /// ([`CHUNKS_VERSION`]), the configuration, and the provider knowledge
    /// summaries quote. An index records it with each file, and chunks a
    /// file again when the chunker that made its chunks differs.
    pub fn fingerprint(&self) -> String {
        format!(
            "{CHUNKS_VERSION}/{}/{}/{}/{}",
            self.config.max_tokens,
            self.config.overlap,
            self.config.tokenizer.name(),
            providers_fingerprint()
        )
    }

    /// Chunks one file, choosing the language from `path`'s extension.
    pub fn chunk_file(&self, path: &str, content: &str) -> Vec<Chunk> {
        self.chunk_as(path, content, Language::for_path(path))
    }

    /// Chunks `content` as `language` whatever its path says.
    pub fn chunk_as(&self, path: &str, content: &str, language: Language) -> Vec<Chunk> {
        self.chunk_source(Source {
            path,
            shown: path,
            text: content,
            language,
        })
    }

    /// [`Chunker::chunk_file`] of `path`, whose summaries name it `shown`.
    pub(crate) fn chunk_file_shown(&self, path: &str, shown: &str, content: &str) -> Vec<Chunk> {
        self.chunk_source(Source {
            path,
            shown,
            text: content,
            language: Language::for_path(path),
        })
    }

    fn chunk_source(&self, source: Source<'_>) -> Vec<Chunk> {
        let content = source.text;
        let language = source.language;
        let lines = LineIndex::new(content);
        let drafts = match language {
            Language::Hcl => hcl::chunk(self, &source),
            Language::Markdown => markdown::chunk(self, &source),
            Language::Text => text_drafts(self, &source, &lines),
        };
        drafts
            .into_iter()
            .map(|d| self.finish(&source, &lines, d))
            .collect()
    }

    /// Chunks every text file under `dir`; see [`ChunkDir`].
    pub fn chunk_dir(&self, dir: impl Into<std::path::PathBuf>) -> ChunkDir<'_> {
        ChunkDir::new(self, dir.into())
    }

    fn splitter<'a>(&'a self, frames: &'a [split::Frame], overlap: usize) -> split::Splitter<'a> {
        split::Splitter {
            tokenizer: self.config.tokenizer.as_ref(),
            budget: self.config.max_tokens,
            overlap,
            frames,
        }
    }

    fn finish(&self, source: &Source<'_>, lines: &LineIndex<'_>, d: Draft) -> Chunk {
        let text = d
            .text
            .unwrap_or_else(|| source.text[d.range.clone()].to_string());
        let token_count = d
            .tokens
            .unwrap_or_else(|| self.config.tokenizer.count(&text));
        let start = lines.pos(d.range.start);
        let end = lines.pos(d.range.end.saturating_sub(1).max(d.range.start));
        let mut id = Sha256::new();
        id.update(source.path.as_bytes());
        id.update([0]);
        id.update((d.range.start as u64).to_le_bytes());
        id.update((d.range.end as u64).to_le_bytes());
        id.update(text.as_bytes());
        Chunk {
            id: hex(&id.finalize()[..16]),
            path: source.path.to_string(),
            language: source.language,
            kind: d.kind,
            content_hash: hex(&Sha256::digest(text.as_bytes())),
            text,
            block_type: d.block_type,
            labels: d.labels,
            address: d.address,
            heading_path: d.heading_path,
            part: d.part,
            parts: d.parts,
            start_line: start.line,
            end_line: end.line,
            start_byte: d.range.start,
            end_byte: d.range.end,
            token_count,
            summary: d.summary,
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The file being chunked.
pub(crate) struct Source<'a> {
    path: &'a str,
    /// The path summaries name: relative to the directory being chunked,
    /// so that where a repository is checked out is not part of what a
    /// chunk says (nor of the words it is found by).
    shown: &'a str,
    text: &'a str,
    language: Language,
}

/// A chunk before its id, hashes and positions are computed.
#[derive(Debug)]
struct Draft {
    range: Range<usize>,
    /// `None`: the source slice.
    text: Option<String>,
    /// Already counted while fitting.
    tokens: Option<usize>,
    kind: ChunkKind,
    block_type: Option<String>,
    labels: Vec<String>,
    address: Option<String>,
    heading_path: Vec<String>,
    part: usize,
    parts: usize,
    summary: String,
}

impl Draft {
    fn new(range: Range<usize>, kind: ChunkKind) -> Draft {
        Draft {
            range,
            text: None,
            tokens: None,
            kind,
            block_type: None,
            labels: Vec::new(),
            address: None,
            heading_path: Vec::new(),
            part: 1,
            parts: 1,
            summary: String::new(),
        }
    }
}

/// What the provider documentation says the resource, data source or
/// ephemeral resource a block of `type_name` (its first label) declares
/// is (`KMS (Key Management): Manages a single-Region or multi-Region
/// primary KMS key…`); `None` for other blocks and for types no embedded
/// provider knows.
#[cfg(feature = "providers")]
pub(crate) fn about_block(block_type: Option<&str>, type_name: Option<&str>) -> Option<String> {
    let type_name = type_name?;
    match block_type? {
        "resource" | "ephemeral" => crate::providers::about(type_name),
        "data" => crate::providers::about(&format!("data.{type_name}")),
        _ => None,
    }
}

/// The embedded provider data [`about_block`] reads, by size: regenerated
/// data changes what summaries say.
#[cfg(feature = "providers")]
fn providers_fingerprint() -> String {
    crate::providers::data_sizes()
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(not(feature = "providers"))]
fn providers_fingerprint() -> String {
    "none".into()
}

#[cfg(not(feature = "providers"))]
pub(crate) fn about_block(_block_type: Option<&str>, _type_name: Option<&str>) -> Option<String> {
    None
}

/// ` (part 2 of 3)` for a piece of a split block or section; empty for a
/// whole one.
fn part_note(d: &Draft) -> String {
    if d.parts > 1 {
        format!(" (part {} of {})", d.part, d.parts)
    } else {
        String::new()
    }
}

/// The items without repeats, in first-seen order.
fn distinct<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen: Vec<&str> = Vec::new();
    for item in items {
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    seen
}

/// Trims ASCII whitespace off both ends of `range`; `None` when nothing is left.
fn trimmed(src: &str, range: Range<usize>) -> Option<Range<usize>> {
    let text = &src[range.clone()];
    let space = |c: char| c.is_ascii_whitespace();
    let start = range.start + (text.len() - text.trim_start_matches(space).len());
    let end = range.end - (text.len() - text.trim_end_matches(space).len());
    (start < end).then_some(start..end)
}

/// Splits `range` with `levels`, trims the pieces and numbers them.
fn split_drafts(
    chunker: &Chunker,
    source: &Source<'_>,
    range: Range<usize>,
    levels: &[split::Level],
    kind: ChunkKind,
) -> Vec<Draft> {
    let splitter = chunker.splitter(&[], chunker.config.overlap);
    let ranges: Vec<Range<usize>> = splitter
        .split(source.text, range, levels)
        .into_iter()
        .filter_map(|r| trimmed(source.text, r))
        .collect();
    let parts = ranges.len();
    ranges
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let mut d = Draft::new(r, kind);
            d.part = i + 1;
            d.parts = parts;
            d
        })
        .collect()
}

fn text_drafts(chunker: &Chunker, source: &Source<'_>, lines: &LineIndex<'_>) -> Vec<Draft> {
    let mut drafts = split_drafts(
        chunker,
        source,
        0..source.text.len(),
        split::TEXT,
        ChunkKind::Text,
    );
    for d in &mut drafts {
        d.summary = format!(
            "{} lines {}-{}",
            source.shown,
            lines.pos(d.range.start).line,
            lines.pos(d.range.end - 1).line
        );
    }
    drafts
}
