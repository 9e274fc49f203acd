"""Stores of your own behind an :class:`infrarag.index.Index`: any object
with the methods of :class:`DocumentStore` (documents by path) and
:class:`VectorStore` (unit vectors by chunk id, searched with a metadata
filter), passed to :meth:`infrarag.index.Index.with_stores`; and behind a
:class:`infrarag.collect.CollectionService`, a :class:`RecordStore` (the
audit trail and the records), passed as its ``store``.

The index writes through them in a crash-safe order: new vectors are
upserted, then the document changes are applied in one ``apply`` call (make
it atomic), then vectors nothing refers to are deleted. When an index opens
on stores it deletes vectors no document refers to, and drops documents
whose vectors are missing (the next ``add_path`` ingests them again).

A vector store may also have ``vectors(ids)``, returning the ``(id,
vector)`` pairs it holds of those ids: an index then copies the vectors of
blocks that only moved within their file instead of embedding them again.

An exception a store raises reaches the caller of the index method as it
was raised. Store methods are called from worker threads, with the GIL.

:class:`MemoryVectorStore` is the built-in HNSW store, usable on its own.
"""

from __future__ import annotations

from typing import Any, NotRequired, Optional, Protocol, TypedDict

from infrarag._native import MemoryVectorStore as MemoryVectorStore
from infrarag.types import AuditEntry, Record, StoredRecord



class Document(TypedDict):
    """A file the index holds: ``chunks`` are dicts of
    :class:`infrarag.chunk.Chunk`'s fields, to be given back as they were.
    ``chunker`` says what chunked the file; a document given back without
    it, or with another, is chunked again when its file is next ingested."""

    path: str
    content_hash: str
    chunker: NotRequired[str]
    chunks: list[dict[str, Any]]


class Metadata(TypedDict):
    """What a vector search filters on."""

    path: str
    language: str
    block_type: Optional[str]
    address: Optional[str]


class VectorRecord(TypedDict):
    id: str
    vector: list[float]
    metadata: Metadata


class Filter(TypedDict):
    """Keep a vector when every field that is not ``None`` matches its
    metadata: ``path`` starts with ``path_prefix``; the others equal."""

    path_prefix: Optional[str]
    language: Optional[str]
    block_type: Optional[str]
    address: Optional[str]


class DocumentStore(Protocol):
    def load(self) -> list[Document]:
        """Every document held."""
        ...

    def apply(self, remove: list[str], put: list[Document]) -> None:
        """Removes the documents at ``remove``, then stores ``put`` (replacing
        any at the same path); all or nothing."""
        ...


class VectorStore(Protocol):
    #: The length of every vector; must equal the embedder's.
    dimension: int

    def ids(self) -> list[str]:
        """The id of every vector held."""
        ...

    def upsert(self, records: list[VectorRecord]) -> None:
        """Stores the records, replacing vectors with the same id."""
        ...

    def delete(self, ids: list[str]) -> None:
        """Forgets these ids; ids not held are ignored."""
        ...

    def search(self, vector: list[float], k: int, filter: Filter) -> list[tuple[str, float]]:
        """Up to ``k`` ``(id, cosine similarity)`` pairs whose metadata
        ``filter`` accepts, most similar first (vectors are unit length, so
        the cosine is the dot product)."""
        ...


class RecordQuery(TypedDict):
    """Which entries or records: each field that is not ``None`` must hold
    (``since_ms`` inclusive, ``until_ms`` exclusive, on the entry's time)."""

    host: Optional[str]
    method: Optional[str]
    since_ms: Optional[int]
    until_ms: Optional[int]


class RecordStore(Protocol):
    """The audit trail and the records of a collection service. Ids are
    the service's; keep entries in the order they were appended."""

    def append(self, entry: AuditEntry, records: list[Record]) -> None:
        """Stores ``entry`` and its ``records`` (possibly none) together:
        all or nothing. A record is never stored without its entry."""
        ...

    def audit(self, query: RecordQuery) -> list[AuditEntry]:
        """The entries ``query`` keeps, oldest first."""
        ...

    def records(self, query: RecordQuery) -> list[StoredRecord]:
        """The records whose entries ``query`` keeps, oldest first."""
        ...

    def prune(self, before_ms: int) -> int:
        """Forgets entries (and their records) from before ``before_ms``;
        returns how many entries went."""
        ...


def matches(query: RecordQuery, host: str, method: str, time_ms: int) -> bool:
    """Whether ``query`` keeps an entry of ``method`` on ``host`` at
    ``time_ms``, as the built-in record stores decide."""
    return (
        query["host"] in (None, host)
        and query["method"] in (None, method)
        and (query["since_ms"] is None or time_ms >= query["since_ms"])
        and (query["until_ms"] is None or time_ms < query["until_ms"])
    )


def accepts(filter: Filter, metadata: Metadata) -> bool:
    """Whether ``filter`` keeps a vector with ``metadata``, as the built-in
    stores decide."""
    prefix = filter["path_prefix"]
    return (
        (prefix is None or metadata["path"].startswith(prefix))
        and filter["language"] in (None, metadata["language"])
        and filter["block_type"] in (None, metadata["block_type"])
        and filter["address"] in (None, metadata["address"])
    )


__all__ = [
    "Document",
    "DocumentStore",
    "Filter",
    "MemoryVectorStore",
    "Metadata",
    "RecordQuery",
    "RecordStore",
    "VectorRecord",
    "VectorStore",
    "accepts",
    "matches",
]
