"""infrarag.chunk from Python: typed chunks, budgets with built-in and
plug-in tokenizers, chunk_dir with progress, errors and cancellation."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from infrarag import CancelledError, InvalidArgumentError, StorageError, tokens
from infrarag.chunk import Chunk, Chunker, chunk_dir, chunk_file

CORPUS = Path(os.environ.get("INFRARAG_CORPUS", Path(__file__).resolve().parents[2].parent / "shared" / "corpus"))

BUCKET = """# Logs for every service.
resource "aws_s3_bucket" "logs" {
  bucket = "${var.name}-logs"

  versioning {
    enabled = true
  }

  server_side_encryption_configuration {
    rule {
      apply_server_side_encryption_by_default {
        sse_algorithm     = "aws:kms"
        kms_master_key_id = aws_kms_key.this.arn
      }
    }
  }
}
"""


def test_a_block_is_one_chunk_with_its_comment_and_metadata() -> None:
    [c] = chunk_file("s3/main.tf", BUCKET)
    assert isinstance(c, Chunk)
    assert (c.kind, c.language, c.block_type, c.labels) == ("block", "hcl", "resource", ["aws_s3_bucket", "logs"])
    assert c.address == "aws_s3_bucket.logs"
    assert c.text == BUCKET.rstrip("\n")
    assert (c.start_line, c.end_line, c.start_byte, c.end_byte) == (1, 17, 0, len(BUCKET) - 1)
    assert (c.part, c.parts) == (1, 1)
    assert c.token_count == tokens.count(c.text)
    assert c.summary == (
        'resource aws_s3_bucket "logs" in s3/main.tf: sets bucket, enabled, sse_algorithm, kms_master_key_id; '
        "blocks versioning, server_side_encryption_configuration, rule, apply_server_side_encryption_by_default; "
        "references var.name, aws_kms_key.this; "
        "what it is: S3 (Simple Storage): Provides a S3 bucket resource."
    )
    assert len(c.id) == 32 and len(c.content_hash) == 64
    assert "block" in repr(c)


def test_a_block_over_budget_repeats_its_header() -> None:
    chunks = Chunker(max_tokens=64, overlap=8).chunk_file("s3/main.tf", BUCKET)
    assert len(chunks) > 1
    for i, c in enumerate(chunks, start=1):
        assert c.kind == "block_part"
        assert (c.part, c.parts) == (i, len(chunks))
        assert 'resource "aws_s3_bucket" "logs" {' in c.text
        assert c.text.rstrip().endswith("}")
        assert c.token_count <= 64


def test_markdown_heading_paths() -> None:
    text = "# Module\n\nIntro.\n\n## Usage\n\n```hcl\nmodule \"x\" {}\n```\n"
    [c] = Chunker().chunk_file("README.md", text)
    assert c.kind == "section" and c.heading_path == ["Module"]
    chunks = Chunker(max_tokens=8, overlap=0).chunk_file("README.md", text)
    assert [c.heading_path for c in chunks][-1] == ["Module", "Usage"]
    as_text = Chunker().chunk_file("README.md", text, language="text")
    assert as_text[0].kind == "text"


def test_plug_in_tokenizers() -> None:
    words = Chunker(max_tokens=10, overlap=0, tokenizer=lambda t: len(t.split()))
    chunks = words.chunk_file("notes.txt", "one two three four five six seven eight nine ten eleven twelve")
    assert [c.token_count for c in chunks] == [10, 2]
    assert words.tokenizer == "python"

    class Ids:
        name = "ids"

        def encode(self, text: str) -> list[int]:
            return [0] * len(text)

    by_encode = Chunker(max_tokens=20, overlap=0, tokenizer=Ids())
    assert by_encode.tokenizer == "ids"
    assert all(c.token_count <= 20 for c in by_encode.chunk_file("a.txt", "x" * 100))
    assert Chunker(tokenizer="o200k_base").tokenizer == "o200k_base"
    assert Chunker(tokenizer=tokens.get("approximate")).tokenizer == "approximate"


def test_errors_of_a_plug_in_tokenizer_propagate() -> None:
    def broken(text: str) -> int:
        raise RuntimeError("tokenizer down")

    with pytest.raises(RuntimeError, match="tokenizer down"):
        Chunker(tokenizer=broken).chunk_file("a.tf", BUCKET)
    with pytest.raises(InvalidArgumentError):
        Chunker(tokenizer=42)


def test_bad_configuration_is_a_typed_error() -> None:
    with pytest.raises(InvalidArgumentError) as e:
        Chunker(max_tokens=4)
    assert e.value.argument == "max_tokens"
    with pytest.raises(InvalidArgumentError):
        Chunker(max_tokens=100, overlap=80)
    with pytest.raises(InvalidArgumentError):
        Chunker().chunk_file("a", "b", language="cobol")  # type: ignore[arg-type]


def test_chunk_dir_reports_progress_and_skips(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("secret.tf\n")
    (tmp_path / "main.tf").write_text('variable "a" {}\n')
    (tmp_path / "secret.tf").write_text('variable "b" {}\n')
    (tmp_path / ".terraform").mkdir()
    (tmp_path / ".terraform" / "x.tf").write_text('variable "c" {}\n')
    (tmp_path / "blob.bin").write_bytes(b"\0\1\2")
    seen: list[tuple[int, int, str]] = []
    lock = threading.Lock()

    def progress(done: int, total: int, path: str) -> None:
        with lock:
            seen.append((done, total, path))

    result = Chunker().chunk_dir(tmp_path, progress=progress)
    assert [f["path"] for f in result.files] == ["main.tf"]
    assert result.files[0]["language"] == "hcl"
    assert [c.address for c in result.chunks] == ["var.a"]
    assert result.skipped == [{"path": "blob.bin", "reason": "binary (contains NUL bytes)"}]
    assert sorted(path for _, _, path in seen) == ["blob.bin", "main.tf"]
    assert sorted(done for done, _, _ in seen) == [1, 2]
    assert {total for _, total, _ in seen} == {2}

    with pytest.raises(StorageError):
        chunk_dir(tmp_path / "missing")


def test_an_exception_in_progress_stops_the_walk(tmp_path: Path) -> None:
    for i in range(20):
        (tmp_path / f"f{i}.tf").write_text(f'variable "v{i}" {{}}\n')

    def stop(done: int, total: int, path: str) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Chunker().chunk_dir(tmp_path, progress=stop)


def test_chunk_dir_on_the_module_corpus_matches_chunk_file() -> None:
    root = CORPUS / "modules" / "s3"
    result = Chunker().chunk_dir(root, extensions=["tf", "md"])
    assert len(result.files) > 20
    first = result.files[0]["path"]
    again = Chunker().chunk_file(first, (root / first).read_text())
    assert [c.id for c in result.chunks if c.path == first] == [c.id for c in again]
    assert all(c.token_count <= 400 for c in result.chunks)


def test_chunk_dir_quotes_the_inputs_a_block_reads(tmp_path: Path) -> None:
    main = 'resource "aws_iam_role" "monitoring" {\n  name = var.role_name\n}\n'
    (tmp_path / "main.tf").write_text(main)
    (tmp_path / "variables.tf").write_text(
        'variable "role_name" {\n  description = "Role that publishes OS metrics"\n}\n'
    )
    result = Chunker().chunk_dir(tmp_path)
    role = next(c for c in result.chunks if c.address == "aws_iam_role.monitoring")
    assert role.summary.endswith('; inputs: "Role that publishes OS metrics"')
    alone = Chunker().chunk_file("main.tf", main)
    assert alone[0].id == role.id and "inputs" not in alone[0].summary


def test_cancelled_error_is_exported() -> None:
    assert CancelledError.code == "CANCELLED"
