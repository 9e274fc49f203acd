"""infrarag: parse, chunk, retrieve, prompt, validate and collect
Infrastructure-as-Code, from one Rust core.

Start with :mod:`infrarag.hcl`.
"""

from infrarag import hcl
from infrarag._native import __version__
from infrarag.errors import InfraragError, InvalidArgumentError, ParseError, StorageError

__all__ = [
    "hcl",
    "InfraragError",
    "InvalidArgumentError",
    "ParseError",
    "StorageError",
    "__version__",
]
