"""The Python binding against the API both bindings share (tests/api.json):
every module, class and member the spec lists exists here under its Python
name, nothing public exists here that the spec does not list, results have
the spec's shapes, and the error classes carry its codes and fields."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import typing
from pathlib import Path
from typing import Any

import pytest

import infrarag
from infrarag import hcl
from infrarag.index import Index
from infrarag.validation import validate_files

SPEC = json.loads((Path(__file__).resolve().parents[2] / "tests" / "api.json").read_text())


def python_names(name: str, entry: dict[str, Any]) -> set[str]:
    """The names the spec gives `name` in Python (none when Node only)."""
    if entry.get("only") == "node":
        return set()
    forms = entry.get("python_forms", entry.get("forms", "one"))
    return {name, f"{name}_async"} if forms == "pair" else {name}


def is_api(value: Any) -> bool:
    """Functions and classes with behaviour; TypedDicts, Protocols, type
    aliases and plain dataclasses are types, each language's own."""
    if inspect.isfunction(value) or inspect.isbuiltin(value):
        return True
    if not inspect.isclass(value):
        return False
    if typing.is_typeddict(value) or getattr(value, "_is_protocol", False) or dataclasses.is_dataclass(value):
        return False
    return True


def members(cls: type) -> set[str]:
    """Public methods and properties a class defines (its own or an
    infrarag base's), dunders left out."""
    names: set[str] = set()
    for klass in cls.__mro__:
        if klass is object or klass.__module__.split(".")[0] != "infrarag":
            continue
        names |= {n for n in vars(klass) if not n.startswith("_")}
    return names


def exports(module: Any) -> dict[str, Any]:
    return {n: getattr(module, n) for n in module.__all__ if is_api(getattr(module, n))}


def test_every_entry_that_differs_says_why() -> None:
    def walk(entries: dict[str, Any]) -> list[str]:
        missing = []
        for name, entry in entries.items():
            differs = "only" in entry or "python_forms" in entry or "node_forms" in entry
            if differs and not entry.get("why"):
                missing.append(name)
            missing += walk(entry.get("members", {}))
        return missing

    entries = {**SPEC["top"]}
    for name, module in SPEC["modules"].items():
        entries[name] = module
        entries |= {f"{name}.{k}": v for k, v in module.get("functions", {}).items()}
        entries |= {f"{name}.{k}": v for k, v in module.get("classes", {}).items()}
    assert walk(entries) == []


@pytest.mark.parametrize("name", sorted(SPEC["modules"]))
def test_module_exports_are_the_specs(name: str) -> None:
    spec = SPEC["modules"][name]
    if spec.get("only") == "node":
        return
    module = importlib.import_module(f"infrarag.{spec.get('python', name)}")
    if spec.get("only") == "python":
        return
    found = exports(module)
    expected: set[str] = set()
    for fname, entry in spec.get("functions", {}).items():
        expected |= python_names(fname, entry)
    for cname, entry in spec.get("classes", {}).items():
        expected |= python_names(cname, entry)
    shapes = set(SPEC["shapes"])
    assert set(found) - shapes == expected, f"infrarag.{spec.get('python', name)}"
    for cname, entry in spec.get("classes", {}).items():
        if entry.get("only") or "members" not in entry:
            continue
        want: set[str] = set()
        for mname, m in entry["members"].items():
            want |= python_names(mname, m)
        assert members(found[cname]) == want, cname


def test_top_level_exports_are_the_modules_and_the_specs_extras() -> None:
    modules = {spec.get("python", name) for name, spec in SPEC["modules"].items() if spec.get("only") != "node"}
    extras = set().union(*(python_names(n, e) for n, e in SPEC["top"].items()))
    errors = set(SPEC["errors"]) | {"InfraragError"}
    public = set(infrarag.__all__) - {"__version__", "types"}
    assert public == modules | extras | errors


def shape(name: str) -> set[str]:
    return set(SPEC["shapes"][name])


def test_results_have_the_specs_shapes(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('variable "name" {}\n\nresource "aws_s3_bucket" "logs" {\n  bucket = var.name\n}\n')
    index = Index()
    report = index.add_path(tmp_path)
    assert set(report) == shape("IngestReport")
    assert set(index.sources()[0]) == shape("Source")
    hit = index.search("logs bucket", k=1)[0]
    assert set(hit.to_dict()) == shape("Hit")
    assert set(hit.scores) == shape("Scores")
    assert set(hit.chunk.to_dict()) == shape("Chunk")

    finding = next(f for f in validate_files({"main.tf": 'variable "name" {}\noutput "x" { value = var.nmae }\n'}) if f.fix)
    assert set(finding.to_dict()) == shape("Finding")
    assert finding.fix is not None and set(finding.fix) == shape("Fix")

    tree = hcl.parse("a = \n")
    assert set(tree) == shape("Syntax")
    assert set(tree["diagnostics"][0]) == shape("Diagnostic")


@pytest.mark.parametrize("name", sorted(SPEC["errors"]))
def test_error_classes_carry_the_specs_codes_and_fields(name: str) -> None:
    spec = SPEC["errors"][name]
    cls = getattr(infrarag.errors, name)
    assert issubclass(cls, infrarag.InfraragError)
    assert cls.code == spec["codes"][0]
    instance = cls("message")
    for field in spec["fields"]:
        assert hasattr(instance, field), f"{name}.{field}"


def test_each_async_counterpart_gives_what_its_blocking_form_gives(tmp_path: Path) -> None:
    import asyncio

    from infrarag.chunk import Chunker
    from infrarag.embed import Embedder, Hashing
    from infrarag.prompt import Conversation
    from infrarag.validation import validate, validate_async, validate_files_async

    (tmp_path / "main.tf").write_text('variable "a" {}\noutput "x" { value = var.b }\n')
    files = {"main.tf": (tmp_path / "main.tf").read_text()}

    async def both() -> None:
        assert await hcl.load_module_async(tmp_path) == hcl.load_module(tmp_path)
        chunker = Chunker()
        assert [c.id for c in (await chunker.chunk_dir_async(tmp_path)).chunks] == [c.id for c in chunker.chunk_dir(tmp_path).chunks]
        assert (await validate_async(tmp_path)).to_json() == validate(tmp_path).to_json()
        assert (await validate_files_async(files)).to_json()["findings"] == validate(tmp_path).to_json()["findings"]
        index = Index()
        index.add_path(tmp_path)
        assert await index.remove_path_async(tmp_path) == 1 and len(index) == 0

    asyncio.run(both())
    assert isinstance(Embedder.hashing(64), Hashing) and Embedder.hashing(64).model == Hashing(64).model

    conversation = Conversation(3, keep_latest=1)
    for i in range(3):
        conversation.push("user", f"question {i}")
    assert conversation.foldable() == 2
    folded = conversation.fold(2, "two questions")
    summary = conversation.summary
    assert folded["folded"] == 2 and len(conversation) == 1 and summary is not None and summary["text"] == "two questions"
