"""Language models: Anthropic's Messages API, OpenAI-compatible Chat
Completions, and an offline fallback, with streaming, retries on
429/529/5xx that honour ``Retry-After``, and typed errors.

>>> from infrarag.llm import LanguageModel
>>> model = LanguageModel.fallback()
>>> done = model.complete("```hcl\\nresource \\"aws_s3_bucket\\" \\"b\\" {}\\n```")
>>> done["model"], done["stop_reason"]
('infrarag-fallback', 'end_turn')
>>> done["content"][0]["text"].splitlines()[0].startswith("[infrarag-fallback")
True

A request is a string (one user message) or a dict in Anthropic's shape:
``{"system": "...", "messages": [{"role": "user", "content": "..."}],
"tools": [...], "max_tokens": 1024}``. ``complete`` releases the GIL; its
``on_delta`` receives each streamed piece (``{"type": "text", "index": 0,
"text": ...}``, ``tool_use``, ``tool_input``) and, while a failed attempt
waits to be retried, ``{"type": "retrying", "attempt", "wait_ms",
"reason"}`` about once a second (an exception raised there, or Ctrl-C,
stops the wait). A failed call raises :class:`infrarag.ProviderError` with
``status``, ``request_id`` and ``retry_after``.

``LanguageModel.anthropic`` and ``LanguageModel.openai`` take the transport
options every HTTP client here takes (``HttpEmbedder`` too): ``headers``,
``timeout`` in seconds (default 120), ``max_retries`` (4), ``backoff`` and
``max_backoff`` in seconds (1 and 60), and ``max_retry_after`` (60): the
longest ``Retry-After`` honoured before failing at once. ``None`` keeps the
default.
"""

from __future__ import annotations

from typing import Optional

from infrarag._native import LanguageModel

__all__ = ["LanguageModel", "from_env"]


def from_env(model: Optional[str] = None) -> LanguageModel:
    """Anthropic when ``ANTHROPIC_API_KEY`` is set, else an OpenAI-compatible
    endpoint when ``OPENAI_API_KEY`` is (``OPENAI_BASE_URL`` moves it), else
    the offline fallback, which is labelled in every answer."""
    return LanguageModel.from_env(model)
