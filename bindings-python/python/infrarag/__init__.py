"""infrarag: parse, chunk, retrieve, prompt, validate and collect
Infrastructure-as-Code, from one Rust core.

Start with :mod:`infrarag.hcl`; :mod:`infrarag.tokens` counts tokens;
:mod:`infrarag.chunk` splits files for retrieval; :mod:`infrarag.embed`
turns text into vectors; :mod:`infrarag.index` searches them, in memory,
in one file, or on :mod:`infrarag.store` stores of your own;
:func:`validate` checks a Terraform module (see :mod:`infrarag.validation`),
with the provider schemas :mod:`infrarag.providers` describes;
:mod:`infrarag.prompt` assembles prompts under a token budget,
:mod:`infrarag.llm` calls models, :mod:`infrarag.pipeline` runs the
generate → validate → correct loop, :mod:`infrarag.collect` gathers live
state from machines, and :mod:`infrarag.drift` reads Terraform's state and
plans.
"""

from infrarag import chunk, collect, drift, embed, hcl, index, llm, pipeline, prompt, providers, store, tokens, types, validation
from infrarag._native import CancelToken, __version__
from infrarag.validation import validate, validate_files, validate_text
from infrarag.errors import (
    AuthError,
    BusyError,
    CancelledError,
    CommandError,
    CommandTimeoutError,
    EmbedError,
    HostKeyError,
    InfraragError,
    InternalError,
    InvalidArgumentError,
    OutputError,
    EvaluationError,
    ParseError,
    ProviderError,
    StorageError,
    ToolError,
    TransportError,
)

__all__ = [
    "chunk",
    "collect",
    "drift",
    "embed",
    "hcl",
    "index",
    "llm",
    "pipeline",
    "prompt",
    "providers",
    "store",
    "tokens",
    "types",
    "validation",
    "validate",
    "validate_files",
    "validate_text",
    "BusyError",
    "CancelToken",
    "CancelledError",
    "CommandError",
    "CommandTimeoutError",
    "EmbedError",
    "InfraragError",
    "InternalError",
    "InvalidArgumentError",
    "OutputError",
    "EvaluationError",
    "ParseError",
    "ProviderError",
    "StorageError",
    "ToolError",
    "TransportError",
    "HostKeyError",
    "AuthError",
    "__version__",
]
