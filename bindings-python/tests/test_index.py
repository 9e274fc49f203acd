"""infrarag.index from Python: incremental ingestion, search modes and
filters, progress, errors."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from infrarag import CancelledError, InvalidArgumentError, StorageError
from infrarag.chunk import Chunker
from infrarag.index import Index

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


def write(root: Path, name: str, text: str) -> None:
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    (root / name).write_text(text)


def test_ingestion_is_incremental(tmp_path: Path) -> None:
    write(tmp_path, "a.tf", 'variable "alpha" {}\n')
    write(tmp_path, "net/b.tf", 'resource "aws_vpc" "main" {\n  cidr_block = "10.0.0.0/16"\n}\n')
    index = Index()
    first = index.add_path(tmp_path)
    assert (first["added"], first["updated"], first["unchanged"], first["removed"]) == (2, 0, 0, 0)
    assert len(index) == first["chunks"] == 2
    sources = index.sources()
    assert [s["path"] for s in sources] == [f"{tmp_path}/a.tf", f"{tmp_path}/net/b.tf"]
    for s in sources:
        assert s["content_hash"] == hashlib.sha256(Path(s["path"]).read_bytes()).hexdigest()
    assert index.add_path(tmp_path)["unchanged"] == 2
    write(tmp_path, "a.tf", 'variable "omega" {}\n')
    (tmp_path / "net" / "b.tf").unlink()
    seen: list[tuple[int, int, str]] = []
    again = index.add_path(tmp_path, progress=lambda d, t, s: seen.append((d, t, s)))
    assert (again["added"], again["updated"], again["removed"]) == (0, 1, 1)
    assert {s for _, _, s in seen} == {"chunking", "embedding"}
    [hit] = index.search("omega", mode="lexical")
    assert hit.chunk.address == "var.omega"
    lexical = hit.scores["lexical"]
    assert lexical is not None and lexical["rank"] == 1 and hit.scores["code"] is None
    assert hit.citation == f"{tmp_path}/a.tf:1-1"
    assert index.search("alpha", mode="lexical") == []
    assert index.remove_path(tmp_path) == 1 and len(index) == 0


def test_search_finds_the_kms_blocks_and_filters_hold() -> None:
    index = Index(chunker=Chunker(max_tokens=400, overlap=60))
    index.add_path(CORPUS / "modules" / "s3", extensions=["tf"])
    hits = index.search("encrypt bucket with KMS", k=5)
    addresses = [h.chunk.address for h in hits]
    assert "aws_s3_bucket_server_side_encryption_configuration.this" in addresses[:3]
    # The module's own blocks come before its examples' (an example's KMS key).
    assert all("/examples/" not in h.chunk.path for h in hits), addresses
    assert "aws_kms_key.objects" in [h.chunk.address for h in index.search("encrypt bucket with KMS", k=20)]
    assert hits == sorted(hits, key=lambda h: -h.score)
    root = str(CORPUS / "modules" / "s3" / "examples")
    for mode in ("hybrid", "vector", "lexical"):
        filtered = index.search("bucket policy", 20, mode=mode, path_prefix=root, block_type="resource")
        assert filtered
        assert all(h.chunk.path.startswith(root) and h.chunk.block_type == "resource" for h in filtered)


def test_errors_are_typed(tmp_path: Path) -> None:
    index = Index()
    with pytest.raises(StorageError):
        index.add_path(tmp_path / "missing")
    with pytest.raises(InvalidArgumentError):
        index.search("x", mode="fuzzy")  # type: ignore[arg-type]
    write(tmp_path, "a.tf", 'variable "a" {}\n')

    def stop(done: int, total: int, stage: str) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        index.add_path(tmp_path, progress=stop)
    assert len(index) == 0
    assert CancelledError.code == "CANCELLED"


def test_an_index_file_reopens_updates_and_locks(tmp_path: Path) -> None:
    s3 = CORPUS / "modules" / "s3"
    path = tmp_path / "idx"
    index = Index.open(path)
    report = index.add_path(s3, extensions=["tf"])
    assert report["added"] > 10
    before = [(h.citation, h.score) for h in index.search("encrypt bucket with KMS", k=5)]
    with pytest.raises(StorageError) as locked:
        Index.open(path)
    assert locked.value.code == "STORAGE_ERROR" and locked.value.path == str(path)
    assert "another process" in str(locked.value)
    index.close()
    index.close()
    with pytest.raises(StorageError, match="closed"):
        index.search("kms")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idx"]

    again = Index.open(path)
    assert [(h.citation, h.score) for h in again.search("encrypt bucket with KMS", k=5)] == before
    assert again.add_path(s3, extensions=["tf"])["unchanged"] == report["added"]
    for s in again.sources():
        assert s["content_hash"] == hashlib.sha256(Path(s["path"]).read_bytes()).hexdigest()

    work = tmp_path / "work"
    write(work, "a.tf", 'variable "alpha" {}\n')
    assert again.add_path(work)["added"] == 1
    write(work, "a.tf", 'variable "omega" {}\n')
    assert again.add_path(work)["updated"] == 1
    del again
    with Index.open(path) as third:
        [hit] = third.search("omega", mode="lexical", path_prefix=str(work))
        assert hit.chunk.address == "var.omega"
        assert third.search("alpha", mode="lexical", path_prefix=str(work)) == []
        assert third.remove_path(work) == 1
    with pytest.raises(StorageError, match="closed"):
        third.add_path(work)
    with Index.open(path) as fourth:
        assert [s for s in fourth.sources() if s["path"].startswith(str(work))] == []


def test_an_index_file_refuses_what_is_not_an_index(tmp_path: Path) -> None:
    junk = tmp_path / "junk"
    junk.write_text("plain text, not a database, long enough to be read as a header")
    with pytest.raises(StorageError, match="not an infrarag index"):
        Index.open(junk)
    with pytest.raises(StorageError, match="is a directory"):
        Index.open(tmp_path)
    with pytest.raises(StorageError):
        Index.open(tmp_path / "missing" / "idx")


def test_copies_fold_into_the_definition_with_their_places() -> None:
    root = CORPUS / "modules" / "vpc"
    index = Index()
    index.add_path(root)
    top, *rest = index.search("output public_subnets", k=5, mode="lexical")
    assert (top.chunk.address, top.chunk.path) == ("output.public_subnets", f"{root}/outputs.tf")
    assert len(top.places) >= 3 and all("/examples/" in p and ".tf:" in p for p in top.places)
    assert top.to_dict()["places"] == top.places
    assert all(h.chunk.address != "output.public_subnets" for h in rest)
