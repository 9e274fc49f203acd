"""infrarag.hcl from Python, checked against python-hcl2's own outputs in
../shared/corpus and hand-checked cases."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

import infrarag
from infrarag import hcl

CORPUS = Path(os.environ.get("INFRARAG_CORPUS", Path(__file__).resolve().parents[3] / "shared" / "corpus"))


def corpus() -> Path:
    if not (CORPUS / "README.md").is_file():
        pytest.fail(f"corpus missing at {CORPUS} (set INFRARAG_CORPUS)")
    return CORPUS


def test_v7_fixtures_equal_python_hcl2() -> None:
    root = corpus() / "python-hcl2" / "v7"
    inputs = sorted((root / "terraform-config").iterdir())
    assert len(inputs) == 21
    for path in inputs:
        expected = json.loads((root / "terraform-config-json" / f"{path.stem}.json").read_text())
        assert hcl.load(path) == expected, path.name
        with open(path) as fh:
            assert hcl.load(fh) == expected, path.name


def test_with_meta_fixture() -> None:
    root = corpus() / "python-hcl2" / "v7" / "with-meta"
    expected = json.loads((root / "data_sources.json").read_text())
    assert hcl.loads((root / "data_sources.tf").read_text(), with_meta=True) == expected


def test_v8_fixtures_equal_python_hcl2() -> None:
    root = corpus() / "python-hcl2" / "v8"
    inputs = sorted((root / "hcl2_original").iterdir())
    assert len(inputs) == 10
    for path in inputs:
        expected = json.loads((root / "json_serialized" / f"{path.stem}.json").read_text())
        assert hcl.load(path, dialect="v8") == expected, path.name


def test_probes_equal_both_python_hcl2_versions() -> None:
    probes = corpus() / "python-hcl2" / "generated" / "probes"
    cases = json.loads((probes / "cases.json").read_text())
    runs: list[tuple[hcl.Dialect, str]] = [
        ("v7", "python-hcl2-7.3.1.default.json"),
        ("v8", "python-hcl2-8.1.4.default.json"),
    ]
    for dialect, output in runs:
        expected_cases = json.loads((probes / output).read_text())["cases"]
        for name, text in cases.items():
            if dialect == "v7" and name == "crlf":
                continue  # accepted on purpose: tests/KNOWN_DIFFERENCES.md
            expected = expected_cases[name]
            if expected["ok"]:
                assert hcl.loads(text, dialect=dialect) == expected["result"], (dialect, name)
            else:
                with pytest.raises(infrarag.ParseError):
                    hcl.loads(text, dialect=dialect)


def test_v8_keeps_comments_and_quotes() -> None:
    result = hcl.loads('# top\nresource "a" "b" {\n  x = "s" # note\n}\n', dialect="v8")
    assert result == {
        "resource": [{'"a"': {'"b"': {"x": '"s"', "__comments__": [{"value": "note"}], "__is_block__": True}}}],
        "__comments__": [{"value": "top"}],
    }


def test_with_meta_needs_v7() -> None:
    with pytest.raises(infrarag.InvalidArgumentError) as info:
        hcl.loads("a = 1", dialect="v8", with_meta=True)
    assert info.value.argument == "with_meta"


def test_big_integers_stay_exact() -> None:
    assert hcl.loads("x = 12345678901234567890") == {"x": 12345678901234567890}


def test_parse_error_has_positions() -> None:
    with pytest.raises(infrarag.ParseError) as info:
        hcl.loads('resource "a" "b" {\n  x = \n}\n')
    err = info.value
    assert isinstance(err, infrarag.InfraragError) and isinstance(err, ValueError)
    assert err.code == "PARSE_ERROR"
    assert err.diagnostics, "diagnostics are attached"
    first = err.diagnostics[0]
    # The value is missing at the end of line 2.
    assert first["span"]["start"]["line"] == 2
    assert str(err).startswith("<input>:2:")


def test_duplicate_attribute_raises_like_python_hcl2() -> None:
    with pytest.raises(infrarag.ParseError, match='The argument "a" was already set at line 1') as raised:
        hcl.loads("a = 1\na = 2\n")
    assert raised.value.diagnostics[0]["summary"] == "Attribute redefined"


def test_invalid_utf8_file_names_path_and_position(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tf"
    bad.write_bytes(b'a = 1\nb = "\xff"\n')
    with pytest.raises(infrarag.ParseError) as info:
        hcl.load(bad)
    assert info.value.path == str(bad)
    assert info.value.diagnostics[0]["span"]["start"]["line"] == 2
    assert "line 2, column 6" in str(info.value)


def test_unknown_dialect_is_invalid_argument() -> None:
    with pytest.raises(infrarag.InvalidArgumentError) as info:
        hcl.loads("a = 1", dialect="v9")  # type: ignore[arg-type]
    assert info.value.argument == "dialect"


def test_parse_returns_partial_tree_and_diagnostics() -> None:
    tree = hcl.parse('a = 1\nb = "multi\nline"\nc = 2\n')
    names = [item["name"] for item in tree["body"]["items"]]
    assert names == ["a", "b", "c"]
    codes = [d["code"] for d in tree["diagnostics"]]
    assert codes == ["multiline_string"]
    assert tree["diagnostics"][0]["span"]["start"]["line"] == 2


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    tree = hcl.parse("x = " + "[" * 10000 + "]" * 10000 + "\n")
    assert any(d["code"] == "too_deep" for d in tree["diagnostics"])


def test_load_module_finds_declarations_and_references() -> None:
    module = hcl.load_module(corpus() / "modules" / "s3")
    by_address = {d["address"]: d for d in module["declarations"]}
    bucket = by_address["aws_s3_bucket.this"]
    assert bucket["kind"] == "resource"
    subjects = {r["subject"] for r in bucket["references"]}
    assert "var.bucket" in subjects
    assert all(f["diagnostics"] == [] for f in module["files"])


def test_missing_directory_is_storage_error(tmp_path: Path) -> None:
    with pytest.raises(infrarag.StorageError) as info:
        hcl.load_module(tmp_path / "nope")
    assert isinstance(info.value, OSError)
    assert info.value.path == str(tmp_path / "nope")


def test_parsing_runs_in_parallel_threads() -> None:
    """The GIL is released: threads each parse and all results agree."""
    text = (corpus() / "modules" / "vpc" / "main.tf").read_text()
    expected = hcl.loads(text)
    results: list[object] = []

    def work() -> None:
        results.append(hcl.loads(text))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * 4


MODULE_VALUES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "module_values"


def test_evaluate_gives_terraforms_value_and_console_text() -> None:
    # Each expected value is what `terraform console` printed (1.11).
    result = hcl.evaluate('cidrsubnets("10.0.0.0/16", 4, 4, 8)')
    assert result["value"] == ["10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/24"]
    assert result["type"] == "list(string)"
    assert result["known"] and not result["sensitive"]
    assert result["console"].startswith("tolist([")
    assert hcl.evaluate("1/3")["console"].endswith("3335")


def test_evaluate_formats_dates_and_yaml_as_terraform() -> None:
    # Printed by `terraform console` (1.11).
    date = hcl.evaluate('formatdate("EEE, DD MMM YYYY hh:mm ZZZ", timeadd("2018-01-02T23:12:01Z", "1h"))')
    assert date["value"] == "Wed, 03 Jan 2018 00:12 UTC"
    assert hcl.evaluate(r'yamlencode({a = ["x\ny"], b = null})')["value"] == '"a":\n- |-\n  x\n  y\n"b": null\n'
    assert hcl.evaluate('base64gzip("x")')["known"] is False


def test_evaluate_reads_a_modules_variables_and_locals() -> None:
    # Hand-checked with `terraform console -var 'tags={env="prod"}'` in
    # the fixture: size comes from its terraform.tfvars, names from the
    # default, tags from the -var text read as the variable's map type.
    got = hcl.evaluate(
        "local.prefixed", module=MODULE_VALUES, vars={"tags": '{env="prod"}'}, environment=False
    )
    assert got["value"] == ["PROD-web", "PROD-db"]
    assert hcl.evaluate("local.total", module=MODULE_VALUES, environment=False)["value"] == 6


def test_evaluate_marks_what_only_apply_knows() -> None:
    got = hcl.evaluate('"${timestamp()}-x"')
    assert got == {
        "value": None,
        "type": "string",
        "known": False,
        "sensitive": False,
        "console": "(known after apply)",
    }
    assert hcl.evaluate('sensitive("s")')["sensitive"]


def test_evaluate_errors_are_typed_with_terraforms_summary() -> None:
    with pytest.raises(infrarag.EvaluationError) as e:
        hcl.evaluate('upper("a", "b")')
    assert e.value.code == "EVALUATION_ERROR"
    assert e.value.diagnostics[0]["summary"] == "Too many function arguments"
    assert e.value.diagnostics[0]["span"]["start"]["column"] == 12
    with pytest.raises(infrarag.ParseError):
        hcl.evaluate("1 +")


# Terraform 1.11's `terraform plan` of tests/fixtures/expand gave these
# addresses and inputs (terraform_expand.rs replans it in CI).
PLANNED = {
    'terraform_data.subnet["a"]': {"cidr": "10.0.0.0/24", "zone": "a"},
    'terraform_data.subnet["b"]': {"cidr": "10.0.1.0/24", "zone": "b"},
    "terraform_data.password": None,
    "module.net[0].terraform_data.vpc": "NET-0",
    "module.net[1].terraform_data.vpc": "NET-1",
}


def test_expand_gives_the_instances_terraform_plan_makes() -> None:
    fixture = MODULE_VALUES.parent / "expand"
    x = hcl.expand(fixture, environment=False)
    assert {r["address"]: r["values"]["input"] for r in x["resources"]} == PLANNED
    password = next(r for r in x["resources"] if r["address"] == "terraform_data.password")
    assert password["sensitive"] == ["input"]
    assert "hunter2" not in json.dumps(x)
    assert x["modules"] == ["module.net[0]", "module.net[1]"]
    assert x["outputs"]["names"] == ["net-0", "net-1"]
    one = hcl.expand(fixture, vars={"zones": '["c"]'}, environment=False)
    subnets = [(r["key"], r["values"]["input"]) for r in one["resources"] if r["name"] == "subnet"]
    assert subnets == [("c", {"cidr": "10.0.0.0/24", "zone": "c"})]
    with pytest.raises(infrarag.StorageError):
        hcl.expand(fixture / "absent")


def test_expand_names_what_terraform_would_refuse(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "terraform_data" "x" {\n  for_each = ["a"]\n}\n')
    x = hcl.expand(tmp_path)
    assert x["resources"] == []
    # `terraform plan` says exactly this, at main.tf line 2.
    [d] = x["diagnostics"]
    assert (d["file"], d["line"], d["summary"]) == ("main.tf", 2, "Invalid for_each argument")
    assert "you have provided a value of type tuple" in d["message"]
