//! Chunking guarantees, checked on every file of ../shared/corpus and on
//! generated input: no chunk over budget, chunks cover their file in order,
//! ids are deterministic, no chunk starts or ends inside a character; plus
//! hand-checked examples of each chunker and of `chunk_dir`.

use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use infrarag::chunk::{Chunk, ChunkConfig, ChunkKind, Chunker, Language};
use infrarag::hcl;
use infrarag::tokens::{Approximate, Tiktoken, Tokenizer};
use infrarag_tests::{corpus, files_where};
use proptest::prelude::*;

/// Every guarantee of one file's chunks; the first broken one, described.
fn check(chunker: &Chunker, path: &str, src: &str, chunks: &[Chunk]) -> Result<(), String> {
    let config = chunker.config();
    let tok = config.tokenizer();
    let mut covered = vec![false; src.len()];
    for (i, c) in chunks.iter().enumerate() {
        let at = format!("{path} chunk {i} ({}..{})", c.start_byte, c.end_byte);
        if c.token_count > config.max_tokens() {
            return Err(format!("{at}: {} tokens", c.token_count));
        }
        if tok.count(&c.text) != c.token_count {
            return Err(format!("{at}: token_count is not the count of its text"));
        }
        if c.start_byte >= c.end_byte || c.end_byte > src.len() {
            return Err(format!("{at}: bad range"));
        }
        if !src.is_char_boundary(c.start_byte) || !src.is_char_boundary(c.end_byte) {
            return Err(format!("{at}: inside a character"));
        }
        let slice = &src[c.bytes()];
        let text_ok = match c.kind {
            ChunkKind::BlockPart => c.text.contains(slice),
            _ => c.text == slice,
        };
        if !text_ok {
            return Err(format!("{at}: text does not hold its source range"));
        }
        let line = |b: usize| 1 + src.as_bytes()[..b].iter().filter(|&&x| x == b'\n').count();
        if c.start_line != line(c.start_byte) || c.end_line != line(c.end_byte - 1) {
            return Err(format!("{at}: lines {}-{}", c.start_line, c.end_line));
        }
        if c.id.len() != 32 || c.content_hash.len() != 64 || c.path != path {
            return Err(format!("{at}: id, hash or path"));
        }
        if c.part == 0 || c.part > c.parts {
            return Err(format!("{at}: part {} of {}", c.part, c.parts));
        }
        if i > 0 {
            let prev = &chunks[i - 1];
            if c.start_byte <= prev.start_byte {
                return Err(format!("{at}: out of order"));
            }
            if c.start_byte < prev.end_byte {
                let shared = tok.count(&src[c.start_byte..prev.end_byte]);
                if shared > config.overlap() {
                    return Err(format!("{at}: overlaps the previous by {shared} tokens"));
                }
            }
        }
        covered[c.bytes()].iter_mut().for_each(|x| *x = true);
    }
    if let Some(b) = src
        .bytes()
        .enumerate()
        .position(|(i, b)| !b.is_ascii_whitespace() && !covered[i])
    {
        return Err(format!("{path}: byte {b} is in no chunk"));
    }
    Ok(())
}

fn chunker(max: usize, overlap: usize) -> Chunker {
    Chunker::new(ChunkConfig::new(max).with_overlap(overlap)).unwrap()
}

/// (path relative to `dir`, text) of every UTF-8 file whose relative path
/// `keep` accepts, sorted.
fn corpus_files(dir: &Path, keep: impl Fn(&str) -> bool) -> Vec<(String, String)> {
    let rel = |p: &Path| {
        p.strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/")
    };
    files_where(dir, |p| keep(&rel(p)))
        .into_iter()
        .filter_map(|p| Some((rel(&p), std::fs::read_to_string(&p).ok()?)))
        .collect()
}

fn check_all(chunker: &Chunker, files: &[(String, String)]) -> usize {
    let mut failures = Vec::new();
    let mut total = 0;
    for (path, text) in files {
        let chunks = chunker.chunk_file(path, text);
        total += chunks.len();
        if let Err(e) = check(chunker, path, text, &chunks) {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} files:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
    total
}

#[test]
fn module_repos_at_the_platform_defaults() {
    let files = corpus_files(&corpus().join("modules"), |p| {
        p.ends_with(".tf") || p.ends_with(".md")
    });
    assert!(files.len() > 1200, "{} files", files.len());
    let n = check_all(&chunker(400, 60), &files);
    println!("{} files, {n} chunks", files.len());
}

#[test]
fn module_repos_at_a_small_budget_split_blocks() {
    let files = corpus_files(&corpus().join("modules"), |p| {
        p.ends_with(".tf") || p.ends_with(".md")
    });
    let c = chunker(48, 12);
    check_all(&c, &files);
    // The same Markdown as plain text exercises the separator chunker.
    let mut failures = 0;
    for (path, text) in files.iter().filter(|f| f.0.ends_with(".md")) {
        let chunks = c.chunk_as(path, text, Language::Text);
        if let Err(e) = check(&c, path, text, &chunks) {
            eprintln!("{e}");
            failures += 1;
        }
    }
    assert_eq!(failures, 0);
}

#[test]
fn every_hcl_file_of_the_corpus_chunks_broken_or_not() {
    let files = corpus_files(&corpus(), |p| {
        !p.starts_with("modules/")
            && (p.ends_with(".tf") || p.ends_with(".hcl") || p.ends_with(".tfvars"))
    });
    assert!(files.len() > 1000, "{} files", files.len());
    let broken = files
        .iter()
        .filter(|(_, t)| hcl::parse(t).has_errors())
        .count();
    assert!(broken > 10, "the corpus has broken files: {broken}");
    for (max, overlap) in [(400, 60), (24, 6)] {
        check_all(&chunker(max, overlap), &files);
    }
}

/// The issue's alignment goal: at 400/60, HCL chunks of files without
/// syntax errors start at a top-level block and parse on their own.
#[test]
fn hcl_chunks_are_block_aligned_and_parse_on_their_own() {
    let files = corpus_files(&corpus().join("modules"), |p| p.ends_with(".tf"));
    let c = chunker(400, 60);
    let (mut total, mut valid, mut parts) = (0usize, 0usize, 0usize);
    for (path, text) in &files {
        if hcl::parse(text).has_errors() {
            continue;
        }
        for chunk in c.chunk_file(path, text) {
            total += 1;
            parts += usize::from(chunk.kind == ChunkKind::BlockPart);
            let parsed = hcl::parse(&chunk.text);
            let grammar_ok = !parsed.diagnostics.iter().any(|d| d.code.is_grammar_error());
            let starts_with_block = matches!(
                parsed.file.body.items.first(),
                Some(hcl::Structure::Block(_))
            );
            if grammar_ok && (starts_with_block || chunk.kind != ChunkKind::Block) {
                valid += 1;
            } else {
                eprintln!("{path}:{}: {:?}", chunk.start_line, chunk.kind);
            }
        }
    }
    let share = valid as f64 / total as f64;
    println!("{valid}/{total} chunks parse and start at a block ({parts} block parts)");
    assert!(parts > 50, "the corpus has blocks over 400 tokens: {parts}");
    assert!(share >= 0.99, "{share:.4}");
}

#[test]
fn ids_are_sha256_of_path_range_and_text() {
    // Computed independently in Python:
    // sha256(b"s3/main.tf\0" + pack("<QQ", 0, 55) + text).hexdigest()[:32]
    let text = "resource \"aws_s3_bucket\" \"logs\" {\n  bucket = var.name\n}\n";
    let chunks = chunker(400, 60).chunk_file("s3/main.tf", text);
    assert_eq!(chunks.len(), 1);
    let c = &chunks[0];
    assert_eq!(c.id, "d3156ad5935bc973bda16a482e7d3b2b");
    assert_eq!(
        c.content_hash,
        "d8ad1b7f54948cdcf5afe937ea54c290e6e9f675eacb46eddeaee76bdb00a703"
    );
    assert_eq!(
        (c.start_byte, c.end_byte, c.start_line, c.end_line),
        (0, 55, 1, 3)
    );
    assert_eq!(c.address.as_deref(), Some("aws_s3_bucket.logs"));
    assert_eq!(c.labels, ["aws_s3_bucket", "logs"]);
    assert_eq!(c.block_type.as_deref(), Some("resource"));
    // Python tiktoken gives 18 ids for the text plus "\n"; "}\n" and "}"
    // are one token each.
    assert_eq!(c.token_count, 18);
}

const BUCKET: &str = r#"# Logs for every service.
# Kept for a year.
resource "aws_s3_bucket" "logs" {
  bucket        = "${var.name}-logs"
  force_destroy = false

  versioning {
    enabled = true
  }

  lifecycle_rule {
    id      = "expire"
    enabled = true
    expiration {
      days = 365
    }
  }

  server_side_encryption_configuration {
    rule {
      apply_server_side_encryption_by_default {
        sse_algorithm     = "aws:kms"
        kms_master_key_id = aws_kms_key.this.arn
      }
    }
  }

  tags = merge(local.tags, { Name = "logs" })
}

variable "name" {
  type = string
}
"#;

#[test]
fn a_block_over_budget_splits_at_items_repeating_its_header() {
    // Room for the four nested headers the encryption block needs.
    let c = chunker(64, 10);
    let chunks = c.chunk_file("s3/main.tf", BUCKET);
    check(&c, "s3/main.tf", BUCKET, &chunks).unwrap();
    let parts: Vec<&Chunk> = chunks
        .iter()
        .filter(|c| c.kind == ChunkKind::BlockPart)
        .collect();
    assert!(parts.len() >= 3, "{}", parts.len());
    // The comments above the block open its first part.
    assert!(parts[0]
        .text
        .starts_with("# Logs for every service.\n# Kept for a year.\nresource"));
    for (i, p) in parts.iter().enumerate() {
        assert_eq!(p.address.as_deref(), Some("aws_s3_bucket.logs"));
        assert_eq!((p.part, p.parts), (i + 1, parts.len()));
        let at = p.text.find("resource").unwrap();
        assert!(
            p.text[..at].lines().all(|l| l.starts_with('#')),
            "{}",
            p.text
        );
        assert!(
            p.text[at..].starts_with("resource \"aws_s3_bucket\" \"logs\" {\n"),
            "{}",
            p.text
        );
        assert!(p.text.ends_with('}'), "{}", p.text);
        let parsed = hcl::parse(&p.text);
        assert!(!parsed.has_errors(), "{}\n{:?}", p.text, parsed.diagnostics);
        assert!(p.summary.starts_with(&format!(
            "resource aws_s3_bucket \"logs\" in s3/main.tf (part {} of {})",
            i + 1,
            parts.len()
        )));
    }
    // The encryption block, split itself, repeats both headers.
    let kms = parts
        .iter()
        .find(|p| p.text.contains("kms_master_key_id"))
        .unwrap();
    assert!(
        kms.summary.contains("references aws_kms_key.this"),
        "{}",
        kms.summary
    );
    let last = chunks.last().unwrap();
    assert_eq!(last.kind, ChunkKind::Block);
    assert_eq!(last.address.as_deref(), Some("var.name"));
}

#[test]
fn a_single_attribute_over_budget_falls_back_to_token_splitting_with_overlap() {
    let ids: Vec<String> = (0..80)
        .map(|i| format!("    \"subnet-{i:04}\",\n"))
        .collect();
    let src = format!(
        "resource \"aws_db_subnet_group\" \"this\" {{\n  name = \"db\"\n  subnet_ids = [\n{}  ]\n}}\n",
        ids.concat()
    );
    let c = chunker(60, 15);
    let chunks = c.chunk_file("rds.tf", &src);
    check(&c, "rds.tf", &src, &chunks).unwrap();
    assert!(chunks.len() > 5);
    let mut overlapping = 0;
    for (i, chunk) in chunks.iter().enumerate() {
        assert_eq!(chunk.kind, ChunkKind::BlockPart);
        assert!(chunk
            .text
            .starts_with("resource \"aws_db_subnet_group\" \"this\" {\n"));
        assert!(chunk.text.ends_with('}'));
        if i > 0 && chunk.start_byte < chunks[i - 1].end_byte {
            overlapping += 1;
        }
    }
    assert!(overlapping > 0, "pieces of the list overlap");
}

#[test]
fn broken_regions_fall_back_to_lines_and_the_rest_stays_blocks() {
    let src = "variable \"a\" {\n  type = string\n}\n\nresource \"x\" \"y\" {\n  a = = 1\n}\n\noutput \"b\" {\n  value = var.a\n}\n";
    let c = chunker(400, 60);
    let chunks = c.chunk_file("broken.tf", src);
    check(&c, "broken.tf", src, &chunks).unwrap();
    let kinds: Vec<ChunkKind> = chunks.iter().map(|c| c.kind).collect();
    assert_eq!(kinds.first(), Some(&ChunkKind::Block));
    assert!(kinds.contains(&ChunkKind::Lines), "{kinds:?}");
    let lines = chunks.iter().find(|c| c.kind == ChunkKind::Lines).unwrap();
    assert!(lines.text.contains("a = = 1"));
    assert_eq!(chunks[0].address.as_deref(), Some("var.a"));
    assert!(lines.summary.contains("syntax errors"));
}

#[test]
fn tfvars_attributes_pack_together() {
    let src = "region = \"eu-west-1\"\n# sizes\ninstance_type = \"t3.micro\"\ntags = { team = \"web\" }\n";
    let c = chunker(400, 60);
    let chunks = c.chunk_file("prod.tfvars", src);
    check(&c, "prod.tfvars", src, &chunks).unwrap();
    assert_eq!(chunks.len(), 1);
    assert_eq!(chunks[0].kind, ChunkKind::Attributes);
    assert_eq!(
        chunks[0].summary,
        "attributes in prod.tfvars: sets region, instance_type, tags"
    );
}

const README: &str = "# VPC module\n\nCreates a VPC.\n\n## Usage\n\n```hcl\nmodule \"vpc\" {\n  source = \"../\"\n\n  cidr = \"10.0.0.0/16\"\n}\n```\n\n## Inputs\n\n### cidr\n\nThe CIDR block.\n\n### azs\n\nThe availability zones.\n";

#[test]
fn markdown_chunks_know_their_heading_path() {
    let c = chunker(400, 60);
    let whole = c.chunk_file("vpc/README.md", README);
    assert_eq!(whole.len(), 1);
    assert_eq!(whole[0].heading_path, ["VPC module"]);
    assert_eq!(
        whole[0].summary,
        "section \"VPC module\" in vpc/README.md: code in hcl"
    );

    let c = chunker(20, 0);
    let chunks = c.chunk_file("vpc/README.md", README);
    check(&c, "vpc/README.md", README, &chunks).unwrap();
    let paths: Vec<String> = chunks.iter().map(|c| c.heading_path.join(" > ")).collect();
    assert!(
        paths.contains(&"VPC module > Usage".to_string()),
        "{paths:?}"
    );
    assert!(
        paths.iter().any(|p| p.starts_with("VPC module > Inputs")),
        "{paths:?}"
    );
    // Pieces of the fence begin and end at line boundaries.
    for chunk in &chunks {
        assert_eq!(chunk.kind, ChunkKind::Section);
        let before = README[..chunk.start_byte].trim_end_matches(' ');
        assert!(
            before.is_empty() || before.ends_with('\n'),
            "{:?}",
            chunk.text
        );
        let after = README[chunk.end_byte..].trim_start_matches(' ');
        assert!(
            after.is_empty() || after.starts_with('\n'),
            "{:?}",
            chunk.text
        );
    }
}

#[test]
fn headings_inside_code_fences_are_not_headings() {
    let src = "# Title\n\n```bash\n# not a heading\necho hi\n```\n";
    let chunks = chunker(400, 60).chunk_file("a.md", src);
    assert_eq!(chunks.len(), 1);
    assert_eq!(chunks[0].heading_path, ["Title"]);
}

#[test]
fn text_splits_at_paragraphs_before_lines() {
    let para = "This sentence is part of a paragraph about buckets. ".repeat(4);
    let src = format!("{para}\n\n{para}\n\n{para}\n");
    let c = chunker(60, 10);
    let chunks = c.chunk_file("notes.txt", &src);
    check(&c, "notes.txt", &src, &chunks).unwrap();
    assert_eq!(chunks.len(), 3, "{chunks:#?}");
    assert!(chunks.iter().all(|c| c.text == para.trim_end()));
}

#[test]
fn configuration_is_checked() {
    let err = Chunker::new(ChunkConfig::new(4)).unwrap_err();
    assert_eq!(err.code(), "INVALID_ARGUMENT");
    let err = Chunker::new(ChunkConfig::new(100).with_overlap(60)).unwrap_err();
    assert!(err.to_string().contains("overlap"), "{err}");
    assert_eq!(ChunkConfig::default().max_tokens(), 400);
    assert_eq!(ChunkConfig::default().overlap(), 60);
    assert_eq!(ChunkConfig::default().tokenizer().name(), "cl100k_base");
    assert_eq!("markdown".parse::<Language>().unwrap(), Language::Markdown);
    assert_eq!(
        Language::Hcl.as_str().parse::<Language>().unwrap(),
        Language::Hcl
    );
    assert_eq!(
        "cobol".parse::<Language>().unwrap_err().code(),
        "INVALID_ARGUMENT"
    );
}

#[test]
fn chunk_dir_respects_gitignore_skips_terraform_and_binaries() {
    let dir = std::env::temp_dir().join(format!("infrarag-chunk-dir-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let write = |rel: &str, bytes: &[u8]| {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    };
    write(".gitignore", b"ignored.tf\n");
    write("main.tf", b"variable \"a\" {}\n");
    write("ignored.tf", b"variable \"b\" {}\n");
    write("modules/net/net.tf", b"output \"c\" { value = 1 }\n");
    write("README.md", b"# Hi\n");
    write(".terraform/modules/x/main.tf", b"variable \"d\" {}\n");
    write("logo.png", b"\x89PNG\r\n\x1a\n\0\0");
    write("latin1.txt", b"caf\xe9\n");

    let c = chunker(400, 60);
    let calls = AtomicUsize::new(0);
    let result = c
        .chunk_dir(&dir)
        .on_progress(|p| {
            calls.fetch_add(1, Ordering::Relaxed);
            assert!(p.done <= p.total);
            ControlFlow::Continue(())
        })
        .execute()
        .unwrap();
    let files: Vec<&str> = result.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(files, ["README.md", "main.tf", "modules/net/net.tf"]);
    let skipped: Vec<(&str, &str)> = result
        .skipped
        .iter()
        .map(|s| (s.path.as_str(), s.reason.as_str()))
        .collect();
    assert_eq!(
        skipped,
        [
            ("latin1.txt", "not UTF-8 (byte 3)"),
            ("logo.png", "binary (contains NUL bytes)")
        ]
    );
    assert_eq!(calls.load(Ordering::Relaxed), 5);
    let addresses: Vec<Option<&str>> = result.chunks.iter().map(|c| c.address.as_deref()).collect();
    assert_eq!(addresses, [None, Some("var.a"), Some("output.c")]);
    assert_eq!(result.chunks[2].path, "modules/net/net.tf");

    let only_tf = c.chunk_dir(&dir).extensions(["tf"]).execute().unwrap();
    assert_eq!(only_tf.files.len(), 2);

    let err = c
        .chunk_dir(&dir)
        .on_progress(|_| ControlFlow::Break(()))
        .execute()
        .unwrap_err();
    assert_eq!(err.code(), "CANCELLED");
    let err = c.chunk_dir(dir.join("missing")).execute().unwrap_err();
    assert_eq!(err.code(), "IO_ERROR");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn chunk_dir_chunks_a_whole_module_again_when_one_file_changes() {
    let dir = std::env::temp_dir().join(format!("infrarag-chunk-module-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let write = |rel: &str, text: &str| {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    let role = "resource \"aws_iam_role\" \"monitoring\" {\n  name = var.role_name\n}\n";
    write("m/main.tf", role);
    write(
        "m/variables.tf",
        "variable \"role_name\" {\n  description = \"Role that publishes OS metrics\"\n}\n",
    );
    write("m/README.md", "# M\n");
    write("n/main.tf", role);
    let c = chunker(400, 0);
    let first = c.chunk_dir(&dir).execute().unwrap();
    let summary = |chunks: &[infrarag::chunk::Chunk], path: &str| {
        let c = chunks.iter().find(|c| c.path == path).unwrap();
        c.summary.clone()
    };
    assert!(summary(&first.chunks, "m/main.tf")
        .ends_with("; inputs: \"Role that publishes OS metrics\""));
    assert!(!summary(&first.chunks, "n/main.tf").contains("inputs"));
    let held: std::collections::HashMap<String, String> = first
        .files
        .iter()
        .map(|f| (f.path.clone(), f.content_hash.clone()))
        .collect();
    let paths = |files: &[infrarag::chunk::ChunkedFile]| {
        files.iter().map(|f| f.path.clone()).collect::<Vec<_>>()
    };

    write(
        "m/variables.tf",
        "variable \"role_name\" {\n  description = \"Role for enhanced monitoring\"\n}\n",
    );
    let again = || {
        c.chunk_dir(&dir)
            .held(held.keys().cloned())
            .unchanged(|path, hash| held.get(path).is_some_and(|h| h == hash))
            .execute()
            .unwrap()
    };
    let changed = again();
    assert_eq!(paths(&changed.files), ["m/main.tf", "m/variables.tf"]);
    assert_eq!(paths(&changed.unchanged), ["m/README.md", "n/main.tf"]);
    assert!(summary(&changed.chunks, "m/main.tf")
        .ends_with("; inputs: \"Role for enhanced monitoring\""));

    std::fs::remove_file(dir.join("m/variables.tf")).unwrap();
    let gone = again();
    assert_eq!(paths(&gone.files), ["m/main.tf"]);
    assert!(!summary(&gone.chunks, "m/main.tf").contains("inputs"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A tokenizer counting words, as a plug-in would: chunking must keep its
/// budget too.
struct Words;

impl Tokenizer for Words {
    fn name(&self) -> &str {
        "words"
    }
    fn encode(&self, text: &str) -> Vec<u32> {
        text.split_whitespace().map(|_| 0).collect()
    }
    fn decode(&self, _: &[u32]) -> infrarag::Result<String> {
        Ok(String::new())
    }
}

#[test]
fn any_tokenizer_sets_the_budget() {
    let c = Chunker::new(ChunkConfig::new(12).with_tokenizer(Arc::new(Words))).unwrap();
    let chunks = c.chunk_file("s3/main.tf", BUCKET);
    check(&c, "s3/main.tf", BUCKET, &chunks).unwrap();
    assert!(chunks.iter().all(|c| c.token_count <= 12));
}

/// Generated HCL: blocks nesting blocks, attributes of every size, comments
/// and non-ASCII strings.
fn hcl_source() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        "[a-z]{1,8}".prop_map(|s| format!("\"{s}\"")),
        "[éßü🦀a-z ]{0,30}".prop_map(|s| format!("\"{s}\"")),
        (0u32..100000).prop_map(|n| n.to_string()),
        prop::collection::vec("[a-z]{1,6}", 0..40).prop_map(|v| format!(
            "[\n{}]",
            v.iter()
                .map(|s| format!("    \"{s}\",\n"))
                .collect::<String>()
        )),
        "var\\.[a-z]{1,5}".prop_map(|s| s),
    ];
    let attr = ("[a-z_]{1,10}", value).prop_map(|(k, v)| format!("{k} = {v}\n"));
    let leaf = prop::collection::vec(attr.clone(), 0..6).prop_map(|a| a.concat());
    let body = leaf.prop_recursive(3, 40, 6, move |inner| {
        prop::collection::vec(
            prop_oneof![
                attr.clone(),
                ("[a-z]{1,8}", inner).prop_map(|(k, b)| format!("{k} {{\n{b}}}\n")),
                "# [a-zé ]{0,20}\n".prop_map(|s| s),
            ],
            0..8,
        )
        .prop_map(|v| v.concat())
    });
    prop::collection::vec(
        (
            prop::option::of("# [a-zA-Z ]{0,30}\n"),
            "[a-z]{1,6}",
            "[a-z]{1,6}",
            body,
        )
            .prop_map(|(c, t, n, b)| {
                format!(
                    "{}resource \"{t}\" \"{n}\" {{\n{b}}}\n\n",
                    c.unwrap_or_default()
                )
            }),
        1..5,
    )
    .prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn generated_hcl_keeps_every_guarantee(src in hcl_source(), max in 8usize..160, overlap_pct in 0usize..50) {
        let c = chunker(max, max * overlap_pct / 100);
        let chunks = c.chunk_file("gen.tf", &src);
        prop_assert!(check(&c, "gen.tf", &src, &chunks).is_ok(), "{:?}", check(&c, "gen.tf", &src, &chunks));
        prop_assert_eq!(&chunks, &c.chunk_file("gen.tf", &src), "deterministic");
    }

    #[test]
    fn any_text_keeps_every_guarantee(src in "(\\PC|\n|\t| ){0,600}", max in 8usize..80, lang in 0usize..3) {
        let language = [Language::Hcl, Language::Markdown, Language::Text][lang];
        let c = chunker(max, max / 4);
        let chunks = c.chunk_as("any", &src, language);
        prop_assert!(check(&c, "any", &src, &chunks).is_ok(), "{:?}", check(&c, "any", &src, &chunks));
    }

    #[test]
    fn the_approximate_counter_keeps_the_budget_too(src in hcl_source(), max in 8usize..100) {
        let config = ChunkConfig::new(max).with_tokenizer(Arc::new(Approximate));
        let c = Chunker::new(config).unwrap();
        let chunks = c.chunk_file("gen.tf", &src);
        prop_assert!(check(&c, "gen.tf", &src, &chunks).is_ok(), "{:?}", check(&c, "gen.tf", &src, &chunks));
    }
}

#[test]
fn o200k_counts_differ_and_are_respected() {
    let c = Chunker::new(ChunkConfig::new(30).with_tokenizer(Arc::new(Tiktoken::o200k_base())))
        .unwrap();
    let chunks = c.chunk_file("s3/main.tf", BUCKET);
    check(&c, "s3/main.tf", BUCKET, &chunks).unwrap();
}
