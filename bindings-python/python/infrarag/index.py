"""Hybrid search over Terraform and its docs: BM25 and vector similarity
(code and summary embeddings) fused by rank, with incremental ingestion.

>>> from infrarag.index import Index
>>> index = Index()
>>> web = "../examples/terraform/web"
>>> report = index.add_path(web)
>>> report["added"] > 0, report["unchanged"]
(True, 0)
>>> index.add_path(web)["unchanged"] == report["added"]
True
>>> hit = next(h for h in index.search("bucket for logs", k=3) if h.chunk.address == "aws_s3_bucket.logs")
>>> hit.citation.startswith(web + "/")
True

The default embedder works offline without a model (feature hashing of
code-aware terms). ``add_path`` and ``search`` release the GIL;
``add_path`` reports ``progress(done, total, stage)`` (stage
``"chunking"`` counts files, ``"embedding"`` chunks), stops on Ctrl-C and
changes nothing unless it completes.

``Index()`` is held in memory; ``Index.open(path)`` keeps the index in one
file, written through on every change, that survives a crash mid-write
and reopens without embedding anything again:

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as tmp:
...     with Index.open(tmp + "/idx") as stored:
...         _ = stored.add_path(web)
...     with Index.open(tmp + "/idx") as again:
...         top = [h.chunk.address for h in again.search("bucket for logs", k=3)]
...         top == [h.chunk.address for h in index.search("bucket for logs", k=3)], len(again) == len(index)
(True, True)
"""

from __future__ import annotations

import asyncio
import os
import threading
from typing import Callable, Literal, Optional, Sequence, TypedDict, Union, cast

from infrarag._native import Hit
from infrarag._native import Index as _NativeIndex
from infrarag._tasks import on_thread, stoppable
from infrarag.chunk import Chunker, Language, Skipped
from infrarag.embed import Embedder
from infrarag.errors import CancelledError
from infrarag.store import DocumentStore, VectorStore

#: Which signals a search uses: BM25 and both vectors fused (``hybrid``),
#: the two vectors fused (``vector``), or BM25 alone (``lexical``).
Mode = Literal["hybrid", "vector", "lexical"]
#: ``progress(done, total, stage)``.
Progress = Callable[[int, int, str], object]


class IngestReport(TypedDict):
    """What :meth:`Index.add_path` changed."""

    #: Files new to the index.
    added: int
    #: Files held before and chunked again: their content changed, or
    #: another ``.tf`` file of their directory did (a block's summary
    #: quotes the variables it reads), or another chunker chunked them (a
    #: new release, another :class:`~infrarag.chunk.Chunker` configuration).
    updated: int
    #: Files whose content, module and chunker the index already held.
    unchanged: int
    #: Files under the path the index held that are gone.
    removed: int
    #: Chunks indexed by this call: those of the files added or updated.
    chunks: int
    #: Texts sent to the embedder: a chunk's code and its summary count one
    #: each. A chunk whose text the index held (also a block that moved
    #: within its file) gets that code vector, and the summary vector too
    #: while the summary is the same, so an update sends only what changed.
    embedded: int
    #: Files left out (binary, not UTF-8, too large), and why.
    skipped: list[Skipped]


class Source(TypedDict):
    """A file the index holds."""

    path: str
    content_hash: str
    chunks: int


class Index:
    """Chunks with BM25 terms and code and summary vectors, in memory, or
    in a file with :meth:`open`.

    ``chunker`` sets the budget and tokenizer (default 400 tokens, 60 of
    overlap, cl100k_base); ``embedder`` the vectors (default
    :class:`infrarag.embed.Hashing`).

    Every long method has an ``*_async`` twin that runs it on a worker
    thread (the GIL released), for event loops.
    """

    _native: _NativeIndex

    def __init__(
        self, *, chunker: Optional[Chunker] = None, embedder: Optional[Embedder] = None
    ) -> None:
        self._native = _NativeIndex(
            chunker=chunker._native if chunker else None,
            embedder=embedder._native if embedder else None,
        )

    @classmethod
    def open(
        cls,
        path: Union[str, "os.PathLike[str]"],
        *,
        chunker: Optional[Chunker] = None,
        embedder: Optional[Embedder] = None,
    ) -> "Index":
        """The index in the file at ``path``, created when missing (its
        directory must exist). Chunks and vectors are read back, not
        recomputed; each change is committed to the file before the call
        returns. The file is locked while the index is alive. Raises
        :class:`StorageError` when it is locked by another process, is not
        an index, or holds vectors of another embedder."""
        index = cls.__new__(cls)
        index._native = _NativeIndex.open(
            os.fspath(path),
            chunker=chunker._native if chunker else None,
            embedder=embedder._native if embedder else None,
        )
        return index

    @classmethod
    def with_stores(
        cls,
        documents: DocumentStore,
        code: VectorStore,
        summary: VectorStore,
        *,
        chunker: Optional[Chunker] = None,
        embedder: Optional[Embedder] = None,
    ) -> "Index":
        """An index on stores of your own (see :mod:`infrarag.store`):
        ``documents`` holds files and their chunks, ``code`` and ``summary``
        the two vectors of each chunk. What they hold is loaded and
        reconciled now; every change is written through them."""
        index = cls.__new__(cls)
        index._native = _NativeIndex.with_stores(
            documents,
            code,
            summary,
            chunker=chunker._native if chunker else None,
            embedder=embedder._native if embedder else None,
        )
        return index

    @classmethod
    def postgres(
        cls,
        url: str,
        *,
        chunker: Optional[Chunker] = None,
        embedder: Optional[Embedder] = None,
        max_connections: Optional[int] = None,
        statement_timeout: Optional[float] = None,
        ca_file: Union[str, "os.PathLike[str]", None] = None,
        cache_chunks: bool = False,
    ) -> "Index":
        """The index in the PostgreSQL database at ``url``
        (``postgres://user:password@host:5432/db``, or ``host=… dbname=…``;
        ``sslmode=require`` for TLS), which needs the pgvector extension.
        Every process that opens the same database shares one index: a
        commit by one is seen by the others' next search or ``add_path``;
        ``add_path`` commits in one transaction, so a killed writer leaves
        the previous state. The schema is created or migrated on open.

        BM25 runs in the database, like the vector search, so a process
        holds only the list of files, not the chunks. ``cache_chunks=True``
        keeps a copy of every chunk and its BM25 terms in this process
        instead: lexical search several times faster, memory in proportion
        to the corpus, brought up to date when another process commits.

        ``max_connections`` bounds the connection pool (default 8);
        ``statement_timeout`` is in seconds (default 30, ``0`` for none);
        ``ca_file`` is a PEM file of certificate authorities trusted besides
        the public ones. Raises :class:`StorageError` with ``code``
        ``"DATABASE_ERROR"`` and the server's ``sqlstate`` when the server
        is unreachable, refuses the credentials, lacks pgvector, holds
        another embedder's vectors (the message names both dimensions) or
        was migrated by a newer infrarag."""
        index = cls.__new__(cls)
        index._native = _NativeIndex.postgres(
            url,
            chunker=chunker._native if chunker else None,
            embedder=embedder._native if embedder else None,
            max_connections=max_connections,
            statement_timeout=statement_timeout,
            ca_file=os.fspath(ca_file) if ca_file is not None else None,
            cache_chunks=cache_chunks,
        )
        return index

    @classmethod
    async def postgres_async(
        cls,
        url: str,
        *,
        chunker: Optional[Chunker] = None,
        embedder: Optional[Embedder] = None,
        max_connections: Optional[int] = None,
        statement_timeout: Optional[float] = None,
        ca_file: Union[str, "os.PathLike[str]", None] = None,
        cache_chunks: bool = False,
    ) -> "Index":
        """:meth:`postgres` on a worker thread."""
        return await asyncio.to_thread(
            cls.postgres,
            url,
            chunker=chunker,
            embedder=embedder,
            max_connections=max_connections,
            statement_timeout=statement_timeout,
            ca_file=ca_file,
            cache_chunks=cache_chunks,
        )

    @classmethod
    async def open_async(
        cls,
        path: Union[str, "os.PathLike[str]"],
        *,
        chunker: Optional[Chunker] = None,
        embedder: Optional[Embedder] = None,
    ) -> "Index":
        """:meth:`open` on a worker thread."""
        return await asyncio.to_thread(cls.open, path, chunker=chunker, embedder=embedder)

    def close(self) -> None:
        """Unlocks the index file or closes the PostgreSQL connections
        (after a running ``add_path``); every later call raises
        :class:`StorageError`. Closing twice is harmless; ``with
        Index.open(path) as index:`` closes on leaving the block."""
        self._native.close()

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def model(self) -> str:
        """The embedder's model id; vectors of different models never mix."""
        return self._native.model

    def __len__(self) -> int:
        return len(self._native)

    def __repr__(self) -> str:
        return repr(self._native)

    def add_path(
        self,
        path: Union[str, "os.PathLike[str]"],
        *,
        extensions: Optional[Sequence[str]] = None,
        progress: Optional[Progress] = None,
    ) -> IngestReport:
        """Ingests the text files under ``path``: new and changed files are
        chunked and embedded, unchanged ones (same SHA-256) skipped, and
        files the index held under ``path`` that are gone removed. Files are
        named ``path/relative/name``. Raises :class:`StorageError` when
        ``path`` cannot be read, :class:`CancelledError` when stopped."""
        exts = list(extensions) if extensions is not None else None
        report = self._native.add_path(os.fspath(path), extensions=exts, progress=progress)
        return cast(IngestReport, report)

    async def add_path_async(
        self,
        path: Union[str, "os.PathLike[str]"],
        *,
        extensions: Optional[Sequence[str]] = None,
        progress: Optional[Progress] = None,
    ) -> IngestReport:
        """:meth:`add_path` on a worker thread (``progress`` is called
        there). Cancelling the awaiting task stops the ingestion at its next
        file or batch and waits for it to stop; the index is then unchanged
        (unless the ingestion had already committed). Searches, ``len`` and
        ``sources`` from other threads and tasks do not wait for it: they see
        the index as it was before or after, never part of it."""
        stop = threading.Event()

        def tick(done: int, total: int, stage: str) -> None:
            if stop.is_set():
                raise CancelledError("cancelled")
            if progress is not None:
                progress(done, total, stage)

        return await stoppable(
            lambda: self.add_path(path, extensions=extensions, progress=tick), stop.set
        )

    def search(
        self,
        query: str,
        k: Optional[int] = None,
        *,
        mode: Optional[Mode] = None,
        path_prefix: Optional[str] = None,
        language: Optional[Language] = None,
        block_type: Optional[str] = None,
        address: Optional[str] = None,
        ef: Optional[int] = None,
    ) -> list[Hit]:
        """The ``k`` best chunks for ``query`` (default 10), best first,
        restricted to those matching every filter given. ``mode`` picks the
        signals (default ``"hybrid"``); ``ef`` is the vector search's breadth
        (default 64: higher finds more of the true nearest, slower). Each :class:`Hit` has the chunk,
        the fused ``score``, ``scores`` per signal (``lexical``, ``code``,
        ``summary``: ``{"score", "rank"}`` or ``None``), a
        ``path:start-end`` ``citation``, and ``places``: the citations of
        the other pieces of the same block and of its copies elsewhere
        (an example's re-exported output, a generated wrapper), folded
        into the hit.

        The ranking trusts a module's own code over its examples, tests
        and wrappers, and the blocks that do the work over variables and
        outputs unless the query asks for an input, output or setting."""
        return self._native.search(
            query,
            k,
            mode=mode,
            path_prefix=path_prefix,
            language=language,
            block_type=block_type,
            address=address,
            ef=ef,
        )

    search_async = on_thread(search)

    def sources(self) -> list[Source]:
        """The files the index holds, in path order."""
        return cast("list[Source]", self._native.sources())

    def remove_path(self, path: Union[str, "os.PathLike[str]"]) -> int:
        """Forgets every file under ``path``; returns how many."""
        return self._native.remove_path(os.fspath(path))

    remove_path_async = on_thread(remove_path)


__all__ = ["Hit", "Index", "IngestReport", "Mode", "Source"]
