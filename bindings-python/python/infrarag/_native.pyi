"""Typed surface of the compiled extension; the public API is in
``infrarag.hcl``, ``infrarag.tokens``, ``infrarag.chunk`` and ``infrarag.errors``."""

from typing import Any, Optional, final

__version__: str
__all__ = ["Chunk", "Chunker", "Embedder", "Hit", "Index", "Tokenizer", "__version__", "hcl_load_file", "hcl_load_module", "hcl_loads", "hcl_parse"]

def hcl_loads(text: str, *, dialect: str = "v7", with_meta: bool = False) -> dict[str, Any]: ...
def hcl_load_file(path: str, *, dialect: str = "v7", with_meta: bool = False) -> dict[str, Any]: ...
def hcl_parse(text: str, *, json: bool = False) -> dict[str, Any]: ...
def hcl_load_module(path: str) -> dict[str, Any]: ...

@final
class Tokenizer:
    def __new__(cls, name: str) -> Tokenizer: ...
    @property
    def name(self) -> str: ...
    def count(self, text: str) -> int: ...
    def encode(self, text: str) -> list[int]: ...
    def decode(self, tokens: list[int]) -> str: ...

@final
class Chunk:
    """One retrievable piece of a source file."""

    @property
    def id(self) -> str:
        """32 hex digits of SHA-256 over path, byte range and text."""
    @property
    def path(self) -> str: ...
    @property
    def language(self) -> str:
        """``hcl``, ``markdown`` or ``text``."""
    @property
    def kind(self) -> str:
        """See :data:`infrarag.chunk.Kind`."""
    @property
    def text(self) -> str: ...
    @property
    def block_type(self) -> Optional[str]: ...
    @property
    def labels(self) -> list[str]: ...
    @property
    def address(self) -> Optional[str]:
        """The Terraform address, e.g. ``aws_s3_bucket.logs`` or ``var.region``."""
    @property
    def heading_path(self) -> list[str]: ...
    @property
    def part(self) -> int: ...
    @property
    def parts(self) -> int: ...
    @property
    def start_line(self) -> int: ...
    @property
    def end_line(self) -> int: ...
    @property
    def start_byte(self) -> int: ...
    @property
    def end_byte(self) -> int: ...
    @property
    def token_count(self) -> int: ...
    @property
    def content_hash(self) -> str: ...
    @property
    def summary(self) -> str: ...

@final
class Chunker:
    def __new__(cls, max_tokens: int = 400, overlap: int = 60, tokenizer: Optional[object] = None) -> Chunker: ...
    @property
    def max_tokens(self) -> int: ...
    @property
    def overlap(self) -> int: ...
    @property
    def tokenizer(self) -> str: ...
    def chunk_file(self, path: str, content: str, *, language: Optional[str] = None) -> list[Chunk]: ...
    def chunk_dir(
        self,
        path: str,
        *,
        extensions: Optional[list[str]] = None,
        include_hidden: bool = False,
        max_file_bytes: Optional[int] = None,
        progress: Optional[object] = None,
    ) -> dict[str, Any]: ...

@final
class Hit:
    @property
    def chunk(self) -> Chunk: ...
    @property
    def score(self) -> float: ...
    @property
    def scores(self) -> dict[str, Any]: ...
    @property
    def citation(self) -> str: ...

@final
class Embedder:
    @staticmethod
    def hashing(dimension: int = 384) -> Embedder: ...
    @staticmethod
    def http(
        url: str,
        model: str,
        *,
        api_key: Optional[str] = None,
        headers: Optional[list[tuple[str, str]]] = None,
        dimension: Optional[int] = None,
        batch_size: int = 64,
        concurrency: int = 4,
        timeout: float = 60.0,
        max_retries: int = 5,
    ) -> Embedder: ...
    @property
    def model(self) -> str: ...
    @property
    def dimension(self) -> int: ...
    def embed(self, texts: list[str]) -> list[list[float]]: ...

@final
class Index:
    def __new__(
        cls, *, chunker: Optional[Chunker] = None, embedder: Optional[Embedder] = None
    ) -> Index: ...
    @staticmethod
    def open(
        path: str, *, chunker: Optional[Chunker] = None, embedder: Optional[Embedder] = None
    ) -> Index: ...
    @staticmethod
    def with_stores(
        documents: object,
        code: object,
        summary: object,
        *,
        chunker: Optional[Chunker] = None,
        embedder: Optional[Embedder] = None,
    ) -> Index: ...
    def close(self) -> None: ...
    @property
    def model(self) -> str: ...
    def __len__(self) -> int: ...
    def add_path(
        self,
        path: str,
        *,
        extensions: Optional[list[str]] = None,
        progress: Optional[object] = None,
    ) -> dict[str, Any]: ...
    def search(
        self,
        query: str,
        k: int = 10,
        *,
        mode: str = "hybrid",
        path_prefix: Optional[str] = None,
        language: Optional[str] = None,
        block_type: Optional[str] = None,
        address: Optional[str] = None,
        ef: int = 64,
    ) -> list[Hit]: ...
    def sources(self) -> list[dict[str, Any]]: ...
    def remove_path(self, path: str) -> int: ...
