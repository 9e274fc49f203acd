"""HCL and Terraform: python-hcl2-compatible ``loads``/``load``, the syntax
tree with diagnostics (``parse``), whole-module loading (``load_module``),
Terraform's expression evaluation (``evaluate``), and a configuration's
instances as ``terraform plan`` expands them (``expand``).

Every call releases the GIL while the Rust core works.
"""

from __future__ import annotations

import os
from typing import IO, Any, Literal, Mapping, Optional, Sequence, TypedDict, Union, cast

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


class Evaluation(TypedDict):
    """What :func:`evaluate` returns."""

    #: The value as JSON-like Python data: sets and tuples as lists, maps
    #: and objects as dicts; unknown parts (and infinities) as ``None``.
    value: Any
    #: Terraform's type, as ``type()`` prints it: ``list(string)``.
    type: str
    #: False when any part is known only after ``terraform apply``.
    known: bool
    #: True when any part is marked sensitive.
    sensitive: bool
    #: The value as ``terraform console`` prints it.
    console: str


def evaluate(
    expr: str,
    *,
    module: Union[str, "os.PathLike[str]", None] = None,
    vars: Optional[Mapping[str, str]] = None,
    var_files: Sequence[Union[str, "os.PathLike[str]"]] = (),
    environment: bool = True,
) -> Evaluation:
    """Evaluate a Terraform expression as ``terraform console`` does.

    With ``module`` (a directory), ``var.*``, ``local.*`` and ``path.*``
    are the module's: each variable takes its value from ``vars``
    (``-var`` text, read by the variable's type), then ``var_files``
    (later wins), then ``terraform.tfvars`` and ``*.auto.tfvars``, then
    ``TF_VAR_`` names when ``environment`` holds, then its default. What
    only ``terraform apply`` knows (resource attributes, the clock, files)
    is unknown: ``known`` is False and those parts are ``None``.

    Raises :class:`infrarag.EvaluationError` (with ``.diagnostics``, each
    with Terraform's ``summary``) when the expression has no value, and
    :class:`infrarag.ParseError` when it does not parse.

    >>> evaluate('cidrsubnet("10.0.0.0/16", 8, 2)')["value"]
    '10.0.2.0/24'
    """
    return cast(
        Evaluation,
        _native.hcl_evaluate(
            expr,
            module=None if module is None else os.fspath(module),
            vars=sorted((vars or {}).items()),
            var_files=[os.fspath(f) for f in var_files],
            environment=environment,
        ),
    )


class ResourceInstance(TypedDict):
    """One resource or data source instance, in :class:`Expansion`."""

    #: ``module.net["a"].aws_subnet.this[0]``, as ``terraform plan`` names it.
    address: str
    #: The module instance it is in (``module.net["a"]``), or ``""``.
    module: str
    #: ``"managed"`` (a resource) or ``"data"``.
    mode: str
    #: The resource type: ``aws_subnet``.
    type: str
    #: The block's name: ``this``.
    name: str
    #: The ``count`` index or ``for_each`` key; ``None`` when the block
    #: does not repeat.
    key: Union[int, str, None]
    #: Its arguments as evaluated, meta-arguments left out; a nested block
    #: type is a list of dicts. Unknown and sensitive values are ``None``.
    values: dict[str, Any]
    #: The arguments whose values are not (wholly) known before apply.
    unknown: list[str]
    #: The arguments whose values are sensitive (their values withheld).
    sensitive: list[str]
    #: The block's file, relative to the root module's directory.
    file: str
    #: The block's first line.
    line: int


class Expansion(TypedDict):
    """What :func:`expand` returns."""

    #: Every resource and data source instance, root module first.
    resources: list[ResourceInstance]
    #: Every module instance: ``module.net``, ``module.net["a"]``.
    modules: list[str]
    #: The root module's outputs (unknown and sensitive ones ``None``).
    outputs: dict[str, Any]
    #: The outputs not (wholly) known before apply.
    unknown_outputs: list[str]
    #: The sensitive outputs (their values withheld).
    sensitive_outputs: list[str]
    #: What could not be evaluated: ``file``, ``line``, ``column``,
    #: ``summary`` (Terraform's) and ``message``.
    diagnostics: list[dict[str, Any]]


def expand(
    module: Union[str, "os.PathLike[str]"],
    *,
    vars: Optional[Mapping[str, str]] = None,
    var_files: Sequence[Union[str, "os.PathLike[str]"]] = (),
    environment: bool = True,
) -> Expansion:
    """Expand the configuration rooted in directory ``module`` as
    ``terraform plan`` would: ``count`` and ``for_each`` into instance
    addresses, module calls followed with their arguments (local sources,
    and registry ones ``terraform init`` installed), each instance's
    arguments evaluated. Variables are read as :func:`evaluate` reads them.

    A ``count`` or ``for_each`` that is not known, or not of a kind
    Terraform accepts, makes no instance and is listed in ``diagnostics``
    with Terraform's words. Raises :class:`infrarag.ParseError` when a file
    of the root module does not parse, and :class:`infrarag.StorageError`
    when the directory cannot be read.

    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "main.tf").write_text(
    ...     'resource "terraform_data" "x" {\\n  for_each = toset(["a", "b"])\\n  input = upper(each.key)\\n}\\n')
    >>> [(r["address"], r["values"]["input"]) for r in expand(d)["resources"]]
    [('terraform_data.x["a"]', 'A'), ('terraform_data.x["b"]', 'B')]
    """
    return cast(
        Expansion,
        _native.hcl_expand(
            os.fspath(module),
            vars=sorted((vars or {}).items()),
            var_files=[os.fspath(f) for f in var_files],
            environment=environment,
        ),
    )


expand_async = on_thread(expand)


__all__ = [
    "Dialect",
    "Evaluation",
    "Expansion",
    "ResourceInstance",
    "expand",
    "expand_async",
    "loads",
    "load",
    "parse",
    "load_module",
    "load_module_async",
    "evaluate",
]
