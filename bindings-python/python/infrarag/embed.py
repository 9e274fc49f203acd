"""Text to vectors for search: :class:`Hashing`, offline and model-free,
and :class:`HttpEmbedder`, any OpenAI-compatible ``/v1/embeddings``
endpoint (OpenAI, Azure OpenAI, Ollama, vLLM, TEI, Voyage).

>>> from infrarag.embed import Hashing
>>> h = Hashing()
>>> h.model, h.dimension
('infrarag-hashing-v1-384', 384)
>>> [round(sum(x * x for x in v), 4) for v in h.embed(["aws_s3_bucket", "kms key"])]
[1.0, 1.0]

Pass one to :class:`infrarag.index.Index` (``embedder=``); an index file
remembers its embedder's model and refuses another. ``embed`` releases the
GIL; ``embed_async`` runs it on a worker thread.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

from infrarag._native import Embedder as _NativeEmbedder
from infrarag._tasks import on_thread


class Embedder:
    """Turns texts into vectors of a fixed dimension."""

    _native: _NativeEmbedder

    @property
    def model(self) -> str:
        """A stable id of the model and the settings that change its vectors."""
        return self._native.model

    @property
    def dimension(self) -> int:
        """The length of every vector."""
        return self._native.dimension

    @staticmethod
    def hashing(dimension: Optional[int] = None) -> "Hashing":
        """The offline default, as ``Hashing(dimension)``."""
        return Hashing(dimension)

    @staticmethod
    def http(url: str, model: str, **options: Any) -> "HttpEmbedder":
        """An OpenAI-compatible endpoint: ``HttpEmbedder(url, model, **options)``,
        whose keyword arguments it takes."""
        return HttpEmbedder(url, model, **options)

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order."""
        return self._native.embed(list(texts))

    embed_async = on_thread(embed)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model!r}, dimension={self.dimension})"


class Hashing(Embedder):
    """The offline default: signed feature hashing of code-aware terms
    (identifiers split on case, ``_``, ``-``, ``.``) and character
    trigrams, L2-normalised; deterministic, no model to download.
    ``dimension`` is 16 to 65536 (default 384)."""

    def __init__(self, dimension: Optional[int] = None) -> None:
        self._native = _NativeEmbedder.hashing(dimension)


class HttpEmbedder(Embedder):
    """An OpenAI-compatible embeddings endpoint.

    ``url`` is where to POST (``https://api.openai.com/v1/embeddings``,
    ``http://localhost:11434/v1/embeddings`` for Ollama); ``api_key`` is
    sent as ``Authorization: Bearer``; ``headers`` adds others (Azure:
    ``{"api-key": ...}``). Texts go ``batch_size`` to a request (64), up
    to ``concurrency`` requests at once (4), each limited to ``timeout``
    seconds (60). 408, 409, 429 and 5xx answers, timeouts and lost
    connections are retried up to ``max_retries`` times (5) with
    exponential backoff from ``backoff`` up to ``max_backoff`` seconds (0.5
    and 30) and jitter, waiting as the server asks (``Retry-After``,
    ``retry-after-ms``) up to ``max_retry_after`` seconds (60); a server
    asking for longer fails the call at once. Arguments left ``None`` keep
    these defaults. Without ``dimension`` the endpoint is asked once, here.
    Failures raise :class:`infrarag.ProviderError` with ``status``,
    ``request_id`` and ``retry_after``.
    """

    def __init__(
        self,
        url: str,
        model: str,
        *,
        api_key: Optional[str] = None,
        headers: Optional[Mapping[str, str]] = None,
        dimension: Optional[int] = None,
        batch_size: Optional[int] = None,
        concurrency: Optional[int] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        backoff: Optional[float] = None,
        max_backoff: Optional[float] = None,
        max_retry_after: Optional[float] = None,
    ) -> None:
        self._native = _NativeEmbedder.http(
            url,
            model,
            api_key=api_key,
            headers=headers,
            dimension=dimension,
            batch_size=batch_size,
            concurrency=concurrency,
            timeout=timeout,
            max_retries=max_retries,
            backoff=backoff,
            max_backoff=max_backoff,
            max_retry_after=max_retry_after,
        )


__all__ = ["Embedder", "Hashing", "HttpEmbedder"]
