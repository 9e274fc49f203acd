"""infrarag: parse, chunk, retrieve, prompt, validate and collect
Infrastructure-as-Code, from one Rust core.

Start with :mod:`infrarag.hcl`; :mod:`infrarag.tokens` counts tokens.
"""

from infrarag import hcl, tokens
from infrarag._native import __version__
from infrarag.errors import InfraragError, InvalidArgumentError, ParseError, StorageError

__all__ = [
    "hcl",
    "tokens",
    "InfraragError",
    "InvalidArgumentError",
    "ParseError",
    "StorageError",
    "__version__",
]
