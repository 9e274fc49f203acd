"""The surface a user reads: every native function, class, method and
property has a docstring at run time; the TypedDicts of infrarag.types
name exactly the keys the results and events carry; every result object
has a to_dict() that json.dumps takes as it is."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any, get_args, get_type_hints

import infrarag
from infrarag import _native, types
from infrarag.index import Index
from infrarag.llm import LanguageModel
from infrarag.pipeline import Generator
from infrarag.prompt import PromptBuilder

ROOT = Path(__file__).resolve().parents[2]
WEB = str(ROOT / "examples" / "terraform" / "web")


def undocumented() -> list[str]:
    missing = []
    for name in _native.__all__:
        if name.startswith("__"):
            continue
        obj = getattr(_native, name)
        if not (obj.__doc__ or "").strip():
            missing.append(name)
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if attr.startswith("_"):
                    continue
                doc = (getattr(member, "__doc__", None) or "").strip()
                # pyo3 writes a bare signature for an undocumented method.
                lines = [line for line in doc.splitlines() if line.strip() and line.strip() != "--"]
                if not lines or (len(lines) == 1 and lines[0].startswith(f"{attr}(")):
                    missing.append(f"{name}.{attr}")
    return missing


def test_every_native_item_has_a_docstring() -> None:
    assert undocumented() == []


def keys(typed: Any) -> set[str]:
    return set(typed.__annotations__)


def test_results_and_events_carry_the_keys_their_types_name() -> None:
    index = Index()
    index.add_path(WEB)
    events: list[Any] = []
    result = Generator(LanguageModel.fallback(), k=20).generate("a bucket for logs", index=index, on_event=events.append)
    assert set(result) == keys(types.GenerationResult)
    assert set(result["usage"]) == keys(types.Usage)
    for r in result["rounds"]:
        assert set(r) == keys(types.Round)
        for p in r["problems"]:
            assert set(p) == keys(types.Problem)
    for c in result["context"]:
        assert set(c) == keys(types.ContextItem)
    by_type = {get_args(get_type_hints(t)["type"])[0]: t for t in get_args(types.PipelineEvent)}
    assert {e["type"] for e in events} <= set(by_type)
    for e in events:
        assert set(e) == keys(by_type[e["type"]]), e["type"]
    done = LanguageModel.fallback().complete("hi")
    assert set(done) == keys(types.Completion)
    assert set(done["content"][0]) == keys(types.TextBlock)


def test_result_objects_have_json_ready_dicts() -> None:
    index = Index()
    index.add_path(WEB)
    hit = index.search("bucket for logs", k=1)[0]
    as_dict = hit.to_dict()
    assert set(as_dict) == keys(types.HitDict) and set(as_dict["chunk"]) == keys(types.ChunkDict)
    assert as_dict["chunk"]["address"] == hit.chunk.address and as_dict["citation"] == hit.citation
    assert hit.chunk.to_dict() == as_dict["chunk"]
    as_dict["scores"]["lexical"] = None
    assert hit.scores["lexical"] is not None, "to_dict() hands out a copy"
    report = infrarag.validate_text('output "x" { value = var.nmae }\n')
    finding = next(iter(report))
    assert set(finding.to_dict()) == keys(types.FindingDict)
    assert finding.to_dict()["fix"] == finding.fix
    prompt = PromptBuilder(context_window=8000).context(index.search("bucket for logs", k=2)).user("Add versioning.").build()
    for value in (as_dict, finding.to_dict(), report.to_dict(), prompt.to_dict()):
        assert json.loads(json.dumps(value)) == value
    assert report.to_dict() == report.to_json()
    as_json = infrarag.validate(ROOT / "tests" / "fixtures" / "validate" / "references").to_json()
    assert set(as_json) == keys(types.ReportJson)
    assert as_json["findings"] and all(set(f) == keys(types.ReportFinding) for f in as_json["findings"])
    fixed = [f["fix"] for f in as_json["findings"] if f["fix"] is not None]
    assert fixed and all(set(x) == keys(types.Fix) for x in fixed)
    web = infrarag.validate(WEB).to_json()
    assert web["policies"] and all(set(p) == keys(types.PolicyVerdict) for p in web["policies"])
    assert web["suppressed"] and all(set(x) == keys(types.SuppressedFinding) for x in web["suppressed"])
    assert prompt.to_dict()["tokens"] == prompt.tokens
