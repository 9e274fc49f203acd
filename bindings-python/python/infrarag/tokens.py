"""Token counting: exact tiktoken encodings (``cl100k_base``, ``o200k_base``)
built in and offline, and a fast ``approximate`` counter.

>>> from infrarag import tokens
>>> enc = tokens.get("cl100k_base")
>>> enc.count("resource \\"aws_s3_bucket\\" \\"logs\\" {}")
11

Counting and encoding release the GIL.
"""

from __future__ import annotations

from typing import Literal

from infrarag._native import Tokenizer

#: The built-in tokenizers.
Name = Literal["cl100k_base", "o200k_base", "approximate"]


def get(name: Name = "cl100k_base") -> Tokenizer:
    """A built-in tokenizer. ``cl100k_base`` and ``o200k_base`` count exactly
    as Python tiktoken does (special-token text counts as ordinary text);
    ``approximate`` only counts, within about 6% of ``cl100k_base`` on a
    typical file. Raises :class:`infrarag.InvalidArgumentError` for an
    unknown name.
    """
    return Tokenizer(name)


def count(text: str, tokenizer: Name = "cl100k_base") -> int:
    """The number of tokens of ``text``."""
    return Tokenizer(tokenizer).count(text)


__all__ = ["Name", "Tokenizer", "get", "count"]
