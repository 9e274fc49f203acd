"""Chunking for retrieval: Terraform/HCL by block, Markdown by heading,
other text by separators, each chunk within an exact token budget.

>>> from infrarag.chunk import Chunker
>>> chunker = Chunker(max_tokens=400, overlap=60)
>>> [c] = chunker.chunk_file("s3/main.tf", 'resource "aws_s3_bucket" "logs" {\\n  bucket = var.name\\n}\\n')
>>> c.kind, c.address, c.token_count
('block', 'aws_s3_bucket.logs', 18)
>>> c.summary
'resource aws_s3_bucket "logs" in s3/main.tf: sets bucket; references var.name; what it is: S3 (Simple Storage): Provides a S3 bucket resource.'

``tokenizer`` is a built-in name (``"cl100k_base"``, the default;
``"o200k_base"``; ``"approximate"``), a :class:`infrarag.tokens.Tokenizer`,
or your own: a callable taking the text and returning a token count (or the
list of ids), or an object with an ``encode`` method such as a
``tiktoken.Encoding`` or a Hugging Face tokenizer. Exceptions it raises
propagate.

:meth:`Chunker.chunk_file` and :meth:`Chunker.chunk_dir` release the GIL;
``chunk_dir`` works in parallel, reports progress through
``progress(done, total, path)`` and stops on Ctrl-C.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, Literal, Optional, Sequence, TypedDict, Union

from infrarag._native import Chunk, Tokenizer
from infrarag._native import Chunker as _NativeChunker
from infrarag._tasks import on_thread

#: How a file is read.
Language = Literal["hcl", "markdown", "text"]
#: What a chunk holds: a whole top-level HCL ``block``; a ``block_part`` of
#: one over budget (its text repeats the headers it lacks); top-level
#: ``attributes`` (``.tfvars``); trailing ``comment`` text; ``lines`` of a
#: region with syntax errors; a Markdown ``section``; a piece of ``text``.
Kind = Literal["block", "block_part", "attributes", "comment", "lines", "section", "text"]
#: What may count tokens.
TokenizerLike = Union[
    Literal["cl100k_base", "o200k_base", "approximate"],
    Tokenizer,
    Callable[[str], Union[int, Sequence[int]]],
    object,
]
#: ``progress(done, total, path)``, called after each file.
Progress = Callable[[int, int, str], object]


class SourceFile(TypedDict):
    """A file :meth:`Chunker.chunk_dir` chunked."""

    path: str
    language: Language
    bytes: int
    content_hash: str
    chunks: int


class Skipped(TypedDict):
    """A file :meth:`Chunker.chunk_dir` left out, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class DirChunks:
    """What :meth:`Chunker.chunk_dir` found, in path order."""

    chunks: list[Chunk]
    files: list[SourceFile]
    skipped: list[Skipped]


class Chunker:
    """Splits files into :class:`Chunk` objects of at most ``max_tokens``
    tokens; pieces of split text repeat up to ``overlap`` tokens. Raises
    :class:`infrarag.InvalidArgumentError` when ``max_tokens`` is below 8 or
    ``overlap`` above half of it. Defaults: 400 tokens, 60 of overlap,
    ``cl100k_base``."""

    def __init__(
        self,
        max_tokens: Optional[int] = None,
        overlap: Optional[int] = None,
        tokenizer: Optional[TokenizerLike] = None,
    ) -> None:
        self._native = _NativeChunker(max_tokens, overlap, tokenizer)

    @property
    def max_tokens(self) -> int:
        return self._native.max_tokens

    @property
    def overlap(self) -> int:
        return self._native.overlap

    @property
    def tokenizer(self) -> str:
        """The tokenizer's name."""
        return self._native.tokenizer

    def chunk_file(self, path: str, content: str, *, language: Optional[Language] = None) -> list[Chunk]:
        """Chunks ``content``, read as ``language`` or by ``path``'s extension
        (``.tf``/``.tfvars``/``.hcl``: HCL; ``.md``: Markdown; else text)."""
        return self._native.chunk_file(path, content, language=language)

    def chunk_dir(
        self,
        path: Union[str, "os.PathLike[str]"],
        *,
        extensions: Optional[Sequence[str]] = None,
        include_hidden: bool = False,
        max_file_bytes: Optional[int] = None,
        progress: Optional[Progress] = None,
    ) -> DirChunks:
        """Chunks every text file under ``path``, honouring ``.gitignore``
        and skipping ``.terraform/``, hidden entries (unless
        ``include_hidden``), binaries, non-UTF-8 files and files over
        ``max_file_bytes`` (default 4 MiB); those are listed in
        ``skipped``. ``extensions`` such as ``["tf", "md"]`` restrict the
        files. The summary of a resource, data source or module call quotes
        the descriptions of the variables it reads that its directory
        declares (``; inputs: "…"``), which :meth:`chunk_file` alone cannot
        see. Raises :class:`infrarag.StorageError` when ``path`` cannot be
        read, and whatever ``progress`` raises."""
        raw = self._native.chunk_dir(
            os.fspath(path),
            extensions=list(extensions) if extensions is not None else None,
            include_hidden=include_hidden,
            max_file_bytes=max_file_bytes,
            progress=progress,
        )
        return DirChunks(chunks=raw["chunks"], files=raw["files"], skipped=raw["skipped"])

    chunk_dir_async = on_thread(chunk_dir)

    def __repr__(self) -> str:
        return repr(self._native)


def chunk_file(
    path: str, content: str, *, max_tokens: Optional[int] = None, overlap: Optional[int] = None
) -> list[Chunk]:
    """:meth:`Chunker.chunk_file` with ``cl100k_base``."""
    return Chunker(max_tokens, overlap).chunk_file(path, content)


def chunk_dir(
    path: Union[str, "os.PathLike[str]"],
    *,
    max_tokens: Optional[int] = None,
    overlap: Optional[int] = None,
    progress: Optional[Progress] = None,
) -> DirChunks:
    """:meth:`Chunker.chunk_dir` with ``cl100k_base``."""
    return Chunker(max_tokens, overlap).chunk_dir(path, progress=progress)


__all__ = [
    "Chunk",
    "Chunker",
    "DirChunks",
    "Kind",
    "Language",
    "Progress",
    "Skipped",
    "SourceFile",
    "TokenizerLike",
    "chunk_dir",
    "chunk_file",
]
