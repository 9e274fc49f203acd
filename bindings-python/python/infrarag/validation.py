"""Validation of Terraform modules without running providers: syntax,
references and structure, worded and placed as ``terraform validate``
reports them; resources of the aws, azurerm and google providers against
their embedded schemas (codes ``schema.*``; see :mod:`infrarag.providers`);
the provider-free rules of tflint's terraform ruleset as warnings; and
checkov's security checks, with custom policies in checkov's YAML format.

>>> import infrarag, pathlib, tempfile
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "main.tf").write_text('variable "name" {}\\noutput "x" { value = var.nmae }\\n')
>>> report = infrarag.validate(d)
>>> report.ok, report.error_count, report.warning_count
(False, 1, 5)
>>> f = next(f for f in report if f.severity == "error")
>>> f.code, f.file, f.line, f.column, f.fix["replacement"]
('undeclared_variable', 'main.tf', 2, 22, 'var.name')
>>> sorted({f.code for f in report if f.severity == "warning"})[:2]
['terraform_documented_outputs', 'terraform_documented_variables']
>>> report.to_sarif()["version"]
'2.1.0'

Text a request carried is validated without a temporary directory:

>>> infrarag.validate_text('output "x" { value = var.nmae }\\n', checks=["undeclared_"]).error_count
1

A check name that names no check raises :class:`infrarag.InvalidArgumentError`
with the closest codes, rather than selecting nothing.

The call releases the GIL while the Rust core works.
"""

from __future__ import annotations

import os
from typing import Iterable, Mapping, Optional, Union

from infrarag import _native
from infrarag._native import Finding, Report
from infrarag._tasks import on_thread
from infrarag.errors import InvalidArgumentError
from infrarag.types import CheckInfo

__all__ = [
    "Finding",
    "Report",
    "check_ids",
    "checks",
    "validate",
    "validate_async",
    "validate_files",
    "validate_files_async",
    "validate_text",
]

PathLike = Union[str, "os.PathLike[str]"]


def _names(argument: str, value: Optional[Iterable[str]]) -> Optional[list[str]]:
    """A list of check names; a bare string (which would be read as its
    characters) is refused."""
    if value is None:
        return None
    if isinstance(value, (str, bytes)):
        err = InvalidArgumentError(
            f"invalid argument `{argument}`: expected a list of names, got the string {value!r}; "
            f"write [{value!r}]"
        )
        err.argument = argument
        raise err
    return list(value)


def _paths(value: Optional[Iterable[PathLike]]) -> Optional[list[str]]:
    if value is None:
        return None
    if isinstance(value, (str, bytes, os.PathLike)):
        return [os.fspath(value)]
    return [os.fspath(p) for p in value]


def check_ids() -> list[str]:
    """The ids of every built-in security check (``CKV_AWS_16``, ...), in id
    order."""
    return _native.check_ids()


def checks(
    *,
    checks: Optional[Iterable[str]] = None,
    skip_checks: Optional[Iterable[str]] = None,
) -> list[CheckInfo]:
    """The built-in security checks, in id order, that ``checks`` keeps and
    ``skip_checks`` leaves out (both named as :func:`validate` names them:
    an id, a prefix ending in ``_``, a provider such as ``"gcp"``, a
    checkov category such as ``"ENCRYPTION"``, or a severity, ``"MEDIUM"``
    meaning that or worse).

    >>> from infrarag.validation import checks
    >>> c = next(c for c in checks(checks=["aws"]) if c["id"] == "CKV_AWS_18")
    >>> c["title"], c["kind"], c["resource_types"], c["categories"]
    ('Ensure the S3 bucket has access logging enabled', 'graph', ['aws_s3_bucket'], ['LOGGING'])
    """
    return _native.checks(checks=_names("checks", checks), skip_checks=_names("skip_checks", skip_checks))


def validate(
    path: Union[str, "os.PathLike[str]"],
    *,
    checks: Optional[Iterable[str]] = None,
    skip_checks: Optional[Iterable[str]] = None,
    policies: Optional[Iterable[PathLike]] = None,
    recursive: bool = False,
    expand: bool = True,
    vars: Optional[Mapping[str, str]] = None,
    var_files: Iterable[PathLike] = (),
) -> Report:
    """Validate the Terraform module in directory ``path`` (its ``.tf`` and
    ``.tf.json`` files, not subdirectories).

    With ``recursive=True``, every directory under ``path`` holding
    Terraform files is validated as a module (``.terraform`` and hidden
    directories skipped) into one report whose paths are relative to
    ``path``, as ``checkov -d`` and ``tflint --recursive`` scan a
    repository; a module another calls is judged on its own and, within
    its caller, with the caller's arguments.

    Security checks judge each instance ``count`` or ``for_each`` makes
    (``aws_instance.web[0]``, ``aws_instance.web["a"]``); ``expand=False``
    judges each such block once, as written, under its bare address, as
    checkov does with ``CHECKOV_ENABLE_FOREACH_HANDLING=False``.

    ``checks`` keeps only the checks it names, ``skip_checks`` drops them: a
    name ending in ``_`` or ``.`` names every code it begins
    (``"undeclared_"``, ``"CKV_AWS_"``), any other exactly one code.
    ``policies`` adds custom policies in checkov's YAML format: files, or
    directories whose ``.yaml``/``.yml`` files are read.

    Values are evaluated as Terraform evaluates them. Variables take
    ``vars`` (``-var`` text, read by the variable's type) and ``var_files``
    (``-var-file``; later wins) over ``terraform.tfvars``,
    ``*.auto.tfvars`` and their defaults; with ``recursive``, every module
    declaring a variable gets it.

    Returns a :class:`Report`: iterate it for :class:`Finding` objects; its
    ``ok`` is true when there is no error; ``to_text()``, ``to_json()``,
    ``to_sarif()``, ``to_junit()`` and ``to_terraform()`` render it.

    Raises :class:`infrarag.StorageError` (``IO_ERROR``) when the directory
    or a policy cannot be read, :class:`infrarag.ParseError` when a policy
    is not valid (its ``diagnostics`` name the line), and
    :class:`infrarag.InvalidArgumentError` when a check name names no check
    or ``checks`` is a bare string; a variables file that cannot be read or
    parsed raises as :func:`infrarag.hcl.evaluate` does.
    """
    return _native.validate(
        os.fspath(path),
        checks=_names("checks", checks),
        skip_checks=_names("skip_checks", skip_checks),
        policies=_paths(policies),
        recursive=recursive,
        expand=expand,
        vars=sorted((vars or {}).items()),
        var_files=_paths(var_files) or [],
    )


def validate_files(
    files: Mapping[str, str],
    *,
    checks: Optional[Iterable[str]] = None,
    skip_checks: Optional[Iterable[str]] = None,
    policies: Optional[Iterable[PathLike]] = None,
    expand: bool = True,
    vars: Optional[Mapping[str, str]] = None,
    var_files: Iterable[PathLike] = (),
) -> Report:
    """:func:`validate` for a module held in memory: ``files`` maps relative
    names (``main.tf``, ``vpc.tf.json``) to their text. The report is the
    one the same files in a directory give. Raises
    :class:`infrarag.InvalidArgumentError` for a name that is not ``.tf`` or
    ``.tf.json``, or no files."""
    if not isinstance(files, Mapping):
        err = InvalidArgumentError("invalid argument `files`: expected a mapping of name to text")
        err.argument = "files"
        raise err
    return _native.validate(
        list(files.items()),
        checks=_names("checks", checks),
        skip_checks=_names("skip_checks", skip_checks),
        policies=_paths(policies),
        expand=expand,
        vars=sorted((vars or {}).items()),
        var_files=_paths(var_files) or [],
    )


validate_async = on_thread(validate)


validate_files_async = on_thread(validate_files)


def validate_text(
    text: str,
    *,
    name: str = "main.tf",
    checks: Optional[Iterable[str]] = None,
    skip_checks: Optional[Iterable[str]] = None,
    policies: Optional[Iterable[PathLike]] = None,
) -> Report:
    """:func:`validate_files` for one file, ``name`` (``main.tf`` unless
    given; a ``.tf.json`` name reads Terraform JSON)."""
    return validate_files({name: text}, checks=checks, skip_checks=skip_checks, policies=policies)
