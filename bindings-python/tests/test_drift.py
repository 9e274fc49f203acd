"""infrarag.drift reads Terraform's state, plans and plan streams as
Terraform wrote them (../shared/corpus/drift), with no secret left in what
it returns."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from infrarag import drift
from infrarag.errors import ParseError, StorageError

GENERATED = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "drift" / "generated" / "terraform_data"


def shown(module: dict[str, Any]) -> set[str]:
    """The addresses ``terraform show -json`` lists, walking its modules."""
    out = {r["address"] for r in module.get("resources", [])}
    for child in module.get("child_modules", []):
        out |= shown(child)
    return out


def test_a_state_file_names_the_instances_terraform_shows() -> None:
    state = drift.read_state(GENERATED / "step1" / "terraform.tfstate")
    assert state["format"] == "file" and state["serial"] == 10
    truth = json.loads((GENERATED / "step1" / "show-json-state.json").read_text())
    assert {i["address"] for i in state["instances"]} == shown(truth["values"]["root_module"])
    node = next(i for i in state["instances"] if i["address"] == "terraform_data.node[2]")
    assert (node["index"], node["mode"], node["resource_type"]) == (2, "managed", "terraform_data")
    assert state["outputs"]["db_password"] == {"value": drift.SENSITIVE, "sensitive": True}
    assert "s3cr3t-step1" not in json.dumps(state)


def test_plan_and_stream_agree_and_hide_secrets() -> None:
    plan = asyncio.run(drift.read_plan_async(GENERATED / "step2" / "show-json-tfplan.json"))
    stream = drift.read_plan_stream(GENERATED / "step2" / "plan-json.jsonl")
    planned = {m["address"]: m["action"] for m in stream if m["type"] == "planned_change"}
    changing = {c["address"]: c["change"]["actions"] for c in plan["resource_changes"] if c["change"]["actions"] != ["no-op"]}
    assert set(planned) == set(changing)
    for address, action in planned.items():
        actions = changing[address]
        assert (sorted(actions) == ["create", "delete"]) if action == "replace" else (actions == [action]), address
    summary = next(m for m in stream if m["type"] == "change_summary")
    assert summary["add"] == sum("create" in a for a in changing.values())
    assert plan["output_changes"]["db_password"]["after"] == drift.SENSITIVE
    for secret in ("s3cr3t-step1", "s3cr3t-step2"):
        assert secret not in json.dumps(plan) and secret not in json.dumps(stream)


def test_bad_files_raise_with_their_place(tmp_path: Path) -> None:
    text = (GENERATED / "step1" / "terraform.tfstate").read_text()
    wrong = tmp_path / "wrong.tfstate"
    wrong.write_text(text.replace('"serial": 10', '"serial": "ten"', 1))
    with pytest.raises(ParseError) as caught:
        drift.read_state(wrong)
    assert caught.value.path == str(wrong)
    line = next(n for n, l in enumerate(wrong.read_text().splitlines(), 1) if '"ten"' in l)
    assert caught.value.diagnostics[0]["span"]["start"]["line"] == line
    assert "at `serial`" in str(caught.value)
    v3 = tmp_path / "v3.tfstate"
    v3.write_text('{"version": 3, "modules": []}')
    with pytest.raises(ParseError, match="state format version 3 is not read"):
        drift.read_state(v3)
    with pytest.raises(StorageError):
        drift.read_plan(tmp_path / "missing.json")


def test_compare_config_finds_what_terraform_plans() -> None:
    plan = drift.read_plan(GENERATED / "step2" / "show-json-tfplan.json")
    found = asyncio.run(drift.compare_config_async(GENERATED / "step2" / "config", GENERATED / "step1" / "terraform.tfstate"))
    creates = {c["address"] for c in plan["resource_changes"] if c["change"]["actions"] == ["create"]}
    deletes = {c["address"] for c in plan["resource_changes"] if c["change"]["actions"] == ["delete"]}
    assert set(found["missing"]) == creates and set(found["undeclared"]) == deletes
    assert found["moved"] == [["terraform_data.release", "terraform_data.app_release"]]
    web = next(d for d in found["changed"] if d["address"] == 'terraform_data.service["web"]')
    assert (web["state"]["replicas"], web["config"]["replicas"]) == (2, 4)
    same = drift.compare_config(GENERATED / "step2" / "config", GENERATED / "step2" / "terraform.tfstate")
    assert same["missing"] == same["undeclared"] == [] and same["changed"] == []
