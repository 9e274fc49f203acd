"""Validation of Terraform modules without providers: syntax, references
and structure, worded and placed as ``terraform validate`` reports them;
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

The call releases the GIL while the Rust core works.
"""

from __future__ import annotations

import os
from typing import Iterable, Optional, Union

from infrarag import _native
from infrarag._native import Finding, Report

__all__ = ["Finding", "Report", "check_ids", "validate"]


def check_ids() -> list[str]:
    """The ids of every built-in security check (``CKV_AWS_16``, ...), in id
    order."""
    return _native.check_ids()


def validate(
    path: Union[str, "os.PathLike[str]"],
    *,
    checks: Optional[Iterable[str]] = None,
    skip_checks: Optional[Iterable[str]] = None,
    policies: Optional[Iterable[Union[str, "os.PathLike[str]"]]] = None,
) -> Report:
    """Validate the Terraform module in directory ``path`` (its ``.tf`` and
    ``.tf.json`` files, not subdirectories).

    ``checks`` keeps only the checks it names, ``skip_checks`` drops them: a
    name ending in ``_`` or ``.`` names every code it begins
    (``"undeclared_"``, ``"CKV_AWS_"``), any other exactly one code.
    ``policies`` adds custom policies in checkov's YAML format: files, or
    directories whose ``.yaml``/``.yml`` files are read.
    Returns a :class:`Report`: iterate it for :class:`Finding` objects; its
    ``ok`` is true when there is no error; ``to_text()``, ``to_json()``,
    ``to_sarif()``, ``to_junit()`` and ``to_terraform()`` render it.

    Raises :class:`infrarag.StorageError` (``IO_ERROR``) when the directory
    or a policy cannot be read, and :class:`infrarag.ParseError` when a
    policy is not valid (its ``diagnostics`` name the line).
    """
    return _native.validate(
        os.fspath(path),
        checks=list(checks) if checks is not None else None,
        skip_checks=list(skip_checks) if skip_checks is not None else None,
        policies=[os.fspath(p) for p in policies] if policies is not None else None,
    )
