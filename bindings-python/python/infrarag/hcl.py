"""HCL and Terraform: python-hcl2-compatible ``loads``/``load``, the syntax
tree with diagnostics (``parse``), and whole-module loading (``load_module``).

Every call releases the GIL while the Rust core works.
"""

from __future__ import annotations

import os
from typing import IO, Any, Literal, Union

from infrarag import _native
from infrarag._tasks import on_thread

#: The python-hcl2 output format ``loads`` reproduces: ``"v7"`` for 7.3.1,
#: ``"v8"`` for 8.1.4 with its default options.
Dialect = Literal["v7", "v8"]


def loads(text: str, *, dialect: Dialect = "v7", with_meta: bool = False) -> dict[str, Any]:
    """Parse HCL text into the dict python-hcl2 returns.

    ``dialect="v7"`` (the default) reproduces python-hcl2 7.3.1: plain
    strings and labels, comments dropped; ``with_meta`` adds
    ``__start_line__``/``__end_line__`` to every block body.
    ``dialect="v8"`` reproduces python-hcl2 8.1.4 with its default options:
    strings keep their quotes, blocks carry ``__is_block__``, comments appear
    under ``__comments__``/``__inline_comments__``.

    Raises :class:`infrarag.ParseError` with ``.diagnostics`` where
    python-hcl2 raises, and :class:`infrarag.InvalidArgumentError` for an
    unknown dialect or ``with_meta`` with ``"v8"`` (8.1.4 emits no line
    metadata).
    """
    return _native.hcl_loads(text, dialect=dialect, with_meta=with_meta)


def load(
    file: Union[IO[str], str, "os.PathLike[str]"],
    *,
    dialect: Dialect = "v7",
    with_meta: bool = False,
) -> dict[str, Any]:
    """Like :func:`loads`, from an open text file or a path."""
    if isinstance(file, (str, os.PathLike)):
        return _native.hcl_load_file(os.fspath(file), dialect=dialect, with_meta=with_meta)
    return loads(file.read(), dialect=dialect, with_meta=with_meta)


def parse(text: str, *, json: bool = False) -> dict[str, Any]:
    """Parse native HCL (or Terraform JSON with ``json=True``) into the
    syntax tree. Never raises for syntax errors: the result's
    ``diagnostics`` lists them, and ``body`` holds what parsed.
    """
    return _native.hcl_parse(text, json=json)


def load_module(path: Union[str, "os.PathLike[str]"]) -> dict[str, Any]:
    """Load every ``.tf``/``.tf.json`` file of a module directory, in
    parallel. Returns ``{"dir", "files", "declarations"}``: each declaration
    has its ``address``, ``kind``, ``file``, ``span``, ``references`` and
    ``details``. Raises :class:`infrarag.StorageError` if the directory
    cannot be read.
    """
    return _native.hcl_load_module(os.fspath(path))


load_module_async = on_thread(load_module)


__all__ = ["Dialect", "loads", "load", "parse", "load_module", "load_module_async"]
