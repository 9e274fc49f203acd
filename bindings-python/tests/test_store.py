"""Stores of the caller's behind an Index: written through in order,
reconciled on open, their exceptions raised as they were."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Optional

import pytest

from infrarag.index import Index
from infrarag.store import Document, Filter, VectorRecord, accepts

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


class Documents:
    def __init__(self) -> None:
        self.held: dict[str, Document] = {}
        self.fail: Optional[Exception] = None

    def load(self) -> list[Document]:
        return list(self.held.values())

    def apply(self, remove: list[str], put: list[Document]) -> None:
        if self.fail is not None:
            raise self.fail
        for path in remove:
            self.held.pop(path, None)
        for d in put:
            self.held[d["path"]] = d


class Vectors:
    dimension = 384

    def __init__(self) -> None:
        self.held: dict[str, VectorRecord] = {}
        self.searches = 0

    def ids(self) -> list[str]:
        return list(self.held)

    def upsert(self, records: list[VectorRecord]) -> None:
        for r in records:
            assert len(r["vector"]) == self.dimension
            self.held[r["id"]] = r

    def delete(self, ids: list[str]) -> None:
        for i in ids:
            self.held.pop(i, None)

    def search(self, vector: list[float], k: int, filter: Filter) -> list[tuple[str, float]]:
        self.searches += 1
        scored = [
            (r["id"], sum(a * b for a, b in zip(vector, r["vector"])))
            for r in self.held.values()
            if accepts(filter, r["metadata"])
        ]
        return sorted(scored, key=lambda s: (-s[1], s[0]))[:k]


def test_an_index_writes_through_python_stores_and_reopens_on_them() -> None:
    s3 = CORPUS / "modules" / "s3"
    docs, code, summary = Documents(), Vectors(), Vectors()
    index = Index.with_stores(docs, code, summary)
    report = index.add_path(s3, extensions=["tf"])
    assert len(docs.held) == report["added"]
    chunk_ids = {c["id"] for d in docs.held.values() for c in d["chunks"]}
    assert len(chunk_ids) == report["chunks"] == len(index)
    assert set(code.held) == set(summary.held) == chunk_ids
    hits = index.search("encrypt bucket with KMS", k=5)
    assert code.searches == 1 and summary.searches == 1
    assert "aws_s3_bucket_server_side_encryption_configuration.this" in [h.chunk.address for h in hits]
    variables = index.search("bucket name", k=5, mode="vector", block_type="variable")
    assert variables and all(h.chunk.block_type == "variable" for h in variables)

    # The same stores make the same index again, with nothing embedded.
    again = Index.with_stores(docs, code, summary)
    assert again.sources() == index.sources()
    assert [h.citation for h in again.search("encrypt bucket with KMS", k=5)] == [h.citation for h in hits]
    assert again.add_path(s3, extensions=["tf"])["unchanged"] == report["added"]

    # Documents that do not say what chunked them (a store written before
    # the index kept it) are chunked again once; the same chunks keep
    # their vectors, so nothing is embedded.
    assert len({d["chunker"] for d in docs.held.values()}) == 1
    for d in docs.held.values():
        del d["chunker"]
    rechunked = Index.with_stores(docs, code, summary).add_path(s3, extensions=["tf"])
    assert (rechunked["updated"], rechunked["unchanged"], rechunked["embedded"]) == (report["added"], 0, 0)
    assert all(d["chunker"] for d in docs.held.values())
    again = Index.with_stores(docs, code, summary)

    # A failing apply raises its own exception and leaves everything as it was.
    docs.fail = RuntimeError("database is read-only")
    with pytest.raises(RuntimeError, match="read-only"):
        again.remove_path(s3)
    assert again.sources() == index.sources()
    docs.fail = None

    # Vectors orphaned by a crash are deleted when an index opens; a
    # document that lost a vector is dropped, to be ingested again.
    code.held["orphan"] = next(iter(code.held.values())) | {"id": "orphan"}
    victim = next(iter(docs.held.values()))
    del summary.held[victim["chunks"][0]["id"]]
    third = Index.with_stores(docs, code, summary)
    assert "orphan" not in code.held
    assert victim["path"] not in {s["path"] for s in third.sources()}
    assert third.add_path(s3, extensions=["tf"])["added"] == 1


class Giving(Vectors):
    """Vectors that also gives back what it holds."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[list[str]] = []

    def vectors(self, ids: list[str]) -> list[tuple[str, list[float]]]:
        self.asked.append(ids)
        return [(i, self.held[i]["vector"]) for i in ids if i in self.held]


def test_a_store_that_gives_vectors_back_lends_them_to_moved_blocks(tmp_path: Path) -> None:
    work = tmp_path / "notification"
    runs = {}
    for kind in (Giving, Vectors):
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(CORPUS / "modules" / "s3" / "modules" / "notification", work)
        docs, code, summary = Documents(), kind(), kind()
        index = Index.with_stores(docs, code, summary)
        index.add_path(work)
        # Every block of main.tf moves, with its text and summary.
        main = work / "main.tf"
        main.write_text("# moved\n" + main.read_text())
        runs[kind] = (index.add_path(work), code, summary)
    (given, code, summary), (embedded, plain_code, plain_summary) = runs[Giving], runs[Vectors]
    assert given["chunks"] == embedded["chunks"] > 5
    assert given["embedded"] < embedded["embedded"] // 4, (given, embedded)
    assert isinstance(code, Giving) and isinstance(summary, Giving)
    assert code.asked and summary.asked
    # What was copied is what embedding again gives.
    assert {i: r["vector"] for i, r in code.held.items()} == {i: r["vector"] for i, r in plain_code.held.items()}
    assert {i: r["vector"] for i, r in summary.held.items()} == {i: r["vector"] for i, r in plain_summary.held.items()}


def test_stores_are_checked_when_the_index_opens() -> None:
    class Small(Vectors):
        dimension = 8

    with pytest.raises(Exception, match="holds 8 dimensions"):
        Index.with_stores(Documents(), Small(), Vectors())

    class Broken(Documents):
        def load(self) -> list[Document]:
            raise ConnectionError("no route to database")

    with pytest.raises(ConnectionError, match="no route"):
        Index.with_stores(Broken(), Vectors(), Vectors())

    class Garbled(Documents):
        def load(self) -> list[Document]:
            return [{"path": "x", "content_hash": "y", "chunks": [{"id": 1}]}]

    with pytest.raises(Exception, match="load returned an unexpected shape"):
        Index.with_stores(Garbled(), Vectors(), Vectors())


def test_the_builtin_vector_store_finds_nearest_vectors() -> None:
    import struct

    from infrarag import InvalidArgumentError
    from infrarag.store import MemoryVectorStore

    store = MemoryVectorStore(4)
    rows = [[1.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0]]
    store.upsert(["x", "y", "xy"], b"".join(struct.pack("<4f", *r) for r in rows))
    assert len(store) == 3 and store.dimension == 4
    [(best, score), (second, _)] = store.search([0.9, 0.1, 0.0, 0.0], k=2)
    assert store.search(struct.pack("<4f", 0.9, 0.1, 0.0, 0.0), k=2)[0][0] == "x"
    assert (best, second) == ("x", "xy") and 0.99 < score <= 1.0
    with pytest.raises(InvalidArgumentError):
        store.upsert(["z"], b"\x00" * 15)
