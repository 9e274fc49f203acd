"""infrarag.validate from Python: the same findings as the Rust core on
the fixtures Terraform's own output was recorded for, and the report's
renderings."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import infrarag
from infrarag.validation import Finding, Report

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "validate"


def terraform_says(case: str) -> list[tuple[str, str, str, int, int, int, int]]:
    recorded = json.loads((FIXTURES / case / "terraform.json").read_text())
    return sorted(
        (
            d["range"]["filename"],
            d["summary"],
            d["detail"],
            d["range"]["start"]["line"],
            d["range"]["start"]["column"],
            d["range"]["end"]["line"],
            d["range"]["end"]["column"],
        )
        for d in recorded["diagnostics"]
    )


@pytest.mark.parametrize("case", ["references", "duplicates", "count_and_for_each", "shapes", "module_outputs", "valid"])
def test_findings_match_what_terraform_printed(case: str) -> None:
    # Terraform does not lint: the comparison leaves our lint rules out.
    report = infrarag.validate(FIXTURES / case, skip_checks=["terraform_"])
    assert isinstance(report, Report)
    ours = sorted((f.file, f.summary, f.detail, f.line, f.column, f.end_line, f.end_column) for f in report)
    assert ours == terraform_says(case)
    assert report.ok == (case == "valid")
    assert len(report) == report.error_count == len(terraform_says(case))


def test_findings_carry_fixes_and_related_places() -> None:
    refs = infrarag.validate(FIXTURES / "references")
    fixes = {f.code: f.fix["replacement"] for f in refs if f.fix is not None}
    assert fixes == {"undeclared_variable": "var.name", "undeclared_local": "local.tags", "undeclared_module": "module.network.id"}
    first: Finding = next(f for f in refs if f.severity == "error")
    assert (first.code, first.severity, first.line) == ("undeclared_variable", "error", 8)
    assert first.end_byte - first.start_byte == len("var.nmae")

    dups = infrarag.validate(FIXTURES / "duplicates")
    resource = next(f for f in dups if f.code == "duplicate_resource")
    assert resource.file == "other.tf"
    assert resource.related[0]["file"] == "more.tf"
    assert resource.related[0]["span"]["start"]["line"] == 1


def test_checks_are_selected_by_prefix() -> None:
    dir = FIXTURES / "references"
    assert len(infrarag.validate(dir, checks=["undeclared_"])) == 8
    assert len(infrarag.validate(dir, skip_checks=("undeclared_resource", "self_", "terraform_"))) == 8
    assert infrarag.validate(dir, checks=["duplicate_"]).ok


def test_renderings() -> None:
    report = infrarag.validate(FIXTURES / "duplicates", skip_checks=["terraform_"])
    sarif = report.to_sarif()
    assert sarif["version"] == "2.1.0"
    assert len(sarif["runs"][0]["results"]) == 6
    suite = ET.fromstring(report.to_junit()).find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("7", "6")
    assert report.to_terraform()["error_count"] == 6
    assert report.to_json()["ok"] is False
    assert "error[duplicate_variable]: Duplicate variable declaration" in report.to_text()
    assert repr(report) == "Report(6 error(s), 0 warning(s) in 3 file(s))"


def test_lint_findings_are_warnings() -> None:
    # The fixture's bucket also fails security checks, which have their own tests.
    report = infrarag.validate(FIXTURES.parent / "lint", skip_checks=["CKV_", "CKV2_"])
    assert report.ok and report.error_count == 0
    assert report.warning_count == len(report) == 17
    assert {f.severity for f in report} == {"warning"}
    assert all(f.code.startswith("terraform_") for f in report)


def test_an_unreadable_directory_raises_with_its_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(infrarag.InfraragError) as e:
        infrarag.validate(missing)
    assert e.value.code == "IO_ERROR"
    assert str(missing) in str(e.value)


def test_security_policies_report_checkov_ids() -> None:
    fixture = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "checkov" / "aws" / "CKV_AWS_16"
    if not fixture.is_dir():
        pytest.fail(f"corpus missing at {fixture}")
    report = infrarag.validate(fixture, checks=["CKV_AWS_16"])
    failed = sorted(f.detail.split(" ")[0] for f in report if f.code == "CKV_AWS_16")
    assert failed == ["aws_db_instance.default", "aws_db_instance.disabled"]
    verdicts = {(p["address"], p["outcome"]) for p in report.to_json()["policies"]}
    assert ("aws_db_instance.enabled", "PASSED") in verdicts
    assert not report.ok


def test_suppressed_findings_are_reported_with_reasons(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_db_instance" "db" {\n'
        "  #checkov:skip=CKV_AWS_16:encrypted by its snapshot\n"
        "  storage_encrypted = false\n"
        "}\n"
    )
    report = infrarag.validate(tmp_path, checks=["CKV_AWS_16"])
    assert report.ok and len(report) == 0
    (silenced,) = report.suppressed
    assert silenced["finding"]["code"] == "CKV_AWS_16"
    assert silenced["reason"] == "encrypted by its snapshot"
    assert [p["outcome"] for p in report.to_json()["policies"]] == ["SKIPPED"]


def test_check_ids_cover_the_graph_checks() -> None:
    ids = infrarag.validation.check_ids()
    assert ids == sorted(ids)
    assert {"CKV2_AWS_6", "CKV_AWS_16", "CKV_AZURE_23", "CKV_GCP_114"} <= set(ids)
    # Every check has checkov's fixture and verdicts, and the first 80 are all in.
    corpus = Path(__file__).resolve().parents[3] / "shared" / "corpus"
    oracle = {d.name for name in ("checkov", "checkov-all") for d in (corpus / name).glob("*/*") if d.is_dir()}
    # Checks checkov ships without a fixture have ours, with its verdicts.
    oracle |= {d.name for d in (Path(__file__).resolve().parents[2] / "tests/fixtures/checkov").glob("*/*")}
    first = {d.name for d in (corpus / "checkov").glob("*/*") if d.is_dir()}
    assert set(ids) <= oracle and first <= set(ids) and len(first) == 80


def test_checks_are_listed_and_selected_as_checkov_files_them() -> None:
    listed = infrarag.validation.checks()
    assert [c["id"] for c in listed] == infrarag.validation.check_ids()
    # Title, kind and types are checkov's, as its expected.json records them.
    corpus = Path(__file__).resolve().parents[3] / "shared" / "corpus"
    for c in listed[::25]:
        roots = [corpus / "checkov", corpus / "checkov-all", Path(__file__).resolve().parents[2] / "tests/fixtures/checkov"]
        (expected,) = [p for root in roots for p in root.glob(f"*/{c['id']}/expected.json")]
        want = json.loads(expected.read_text())
        assert (c["title"], c["kind"], c["provider"]) == (want["title"], want["kind"], want["provider"])
        assert sorted(c["resource_types"]) == sorted(want["resource_types"])
    gcp = infrarag.validation.checks(checks=["gcp"])
    assert gcp and all("_GCP_" in c["id"] for c in gcp)
    logging = {c["id"] for c in infrarag.validation.checks(checks=["LOGGING"], skip_checks=["azure"])}
    assert "CKV_AWS_18" in logging and "CKV_AWS_3" not in logging
    assert not any("_AZURE_" in i for i in logging)
    with pytest.raises(infrarag.InvalidArgumentError) as e:
        infrarag.validation.checks(checks=["gpc"])
    assert e.value.argument == "checks" and "gpc" in str(e.value)
    # The same names select what validate runs.
    report = infrarag.validate_text('resource "aws_ebs_volume" "v" {}\n', checks=["ENCRYPTION"])
    assert {p["check"] for p in report.policies} == {"CKV_AWS_3", "CKV_AWS_189", "CKV2_AWS_2"}


def test_custom_policies_and_graph_checks(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_s3_bucket" "logged" {}\n'
        'resource "aws_s3_bucket_logging" "l" {\n'
        "  bucket        = aws_s3_bucket.logged.id\n"
        '  target_prefix = "logs/"\n'
        "}\n"
        'resource "aws_s3_bucket" "silent" {}\n'
    )
    policies = FIXTURES.parent / "policies"
    report = infrarag.validate(tmp_path, checks=["ORG_LOGS_1", "CKV_AWS_18"], policies=[policies])
    verdicts = sorted((p["check"], p["address"], p["outcome"]) for p in report.policies)
    assert verdicts == [
        ("CKV_AWS_18", "aws_s3_bucket.logged", "PASSED"),
        ("CKV_AWS_18", "aws_s3_bucket.silent", "FAILED"),
        ("ORG_LOGS_1", "aws_s3_bucket.logged", "PASSED"),
        ("ORG_LOGS_1", "aws_s3_bucket.silent", "FAILED"),
    ]
    bad = tmp_path / "bad.yaml"
    bad.write_text("metadata:\n  id: X\ndefinition:\n  cond_type: attribute\n  operator: bigger\n")
    with pytest.raises(infrarag.ParseError) as e:
        infrarag.validate(tmp_path, policies=[bad])
    assert e.value.path == str(bad)
    assert e.value.diagnostics[0]["code"] == "invalid_policy"
    assert e.value.diagnostics[0]["span"]["start"]["line"] == 5


def test_recursive_validates_each_module_directory_into_one_report(tmp_path: Path) -> None:
    together = infrarag.validate(FIXTURES, recursive=True, skip_checks=["terraform_"])
    apart: list[tuple[str, str, int]] = []
    for case in sorted({p.parent for p in FIXTURES.rglob("*.tf")}):
        report = infrarag.validate(case, skip_checks=["terraform_"])
        apart += [((case / f.file).relative_to(FIXTURES).as_posix(), f.code, f.line) for f in report]
    assert [(f.file, f.code, f.line) for f in together] == apart
    assert {f.split("/")[0] for f in together.files} >= {"references", "duplicates", "valid"}
    assert len(together.to_sarif()["runs"]) == 1

    # `.terraform` and hidden directories are not modules of the repository.
    broken = 'output "x" {\n  value = var.missing\n}\n'
    for sub in ("", "net", ".terraform/modules/x", ".hidden"):
        (tmp_path / sub).mkdir(parents=True, exist_ok=True)
        (tmp_path / sub / "main.tf").write_text(broken)
    report = infrarag.validate(tmp_path, recursive=True, checks=["undeclared_"])
    assert [f.file for f in report] == ["main.tf", "net/main.tf"]


def test_expand_false_judges_repeated_blocks_once_as_written() -> None:
    # checkov 3.3.13 with CHECKOV_ENABLE_FOREACH_HANDLING=False names the
    # calls the same way on this fixture.
    called = FIXTURES.parent / "called_modules"
    expanded = [p["address"] for p in infrarag.validate(called, checks=["CKV_AWS_3"]).policies]
    assert 'module.each["a"].aws_ebs_volume.this' in expanded
    written = [p["address"] for p in infrarag.validate(called, checks=["CKV_AWS_3"], expand=False).policies]
    assert written == [
        "module.on.aws_ebs_volume.this",
        "module.off.aws_ebs_volume.this",
        "module.each.aws_ebs_volume.this",
        "module.unknown.aws_ebs_volume.this",
        "module.defaulted.aws_ebs_volume.this",
    ]
    text = 'resource "aws_ebs_volume" "two" {\n  count = 2\n}\n'
    report = infrarag.validate_files({"main.tf": text}, checks=["CKV_AWS_3"], expand=False)
    assert [p["address"] for p in report.policies] == ["aws_ebs_volume.two"]


def test_a_modules_tfvars_set_its_variables() -> None:
    report = infrarag.validate(FIXTURES.parent / "tfvars", checks=["CKV_AWS_3"])
    outcomes = {p["address"]: p["outcome"] for p in report.policies}
    assert outcomes == {
        "aws_ebs_volume.from_tfvars": "PASSED",
        "aws_ebs_volume.from_auto": "PASSED",
        "aws_ebs_volume.last_file_wins": "FAILED",
    }


def test_var_files_and_vars_win_over_the_auto_loaded_files() -> None:
    fixture = FIXTURES.parent / "tfvars"
    report = infrarag.validate(
        fixture,
        checks=["CKV_AWS_3"],
        var_files=[fixture / "override.tfvars"],
        vars={"encrypted": "false"},
    )
    outcomes = {p["address"]: p["outcome"] for p in report.policies}
    assert outcomes == {
        "aws_ebs_volume.from_tfvars": "FAILED",
        "aws_ebs_volume.from_auto": "FAILED",
        "aws_ebs_volume.last_file_wins": "FAILED",
    }
    files = {"main.tf": (fixture / "main.tf").read_text()}
    alone = infrarag.validate_files(files, checks=["CKV_AWS_3"], vars={"order": "false", "encrypted": "true"})
    assert {p["address"]: p["outcome"] for p in alone.policies} == {
        "aws_ebs_volume.from_tfvars": "PASSED",
        "aws_ebs_volume.from_auto": "FAILED",
        "aws_ebs_volume.last_file_wins": "FAILED",
    }
    with pytest.raises(infrarag.StorageError, match="absent.tfvars"):
        infrarag.validate(fixture, var_files=[fixture / "absent.tfvars"])


def test_provider_schemas_catch_invented_arguments_and_typos() -> None:
    # tests/fixtures/schema holds one mistake of each kind; the lines and
    # fixes are hand-checked against the embedded aws 6.25.0 schema.
    report = infrarag.validate(FIXTURES.parent / "schema", checks=["schema."])
    invented = next(f for f in report if f.line == 6)
    assert (invented.code, invented.summary) == ("schema.unsupported_argument", "Unsupported argument")
    assert "bucket_name" in invented.detail and "hashicorp/aws 6.25.0" in invented.detail
    typo = next(f for f in report if f.code == "schema.invalid_resource_type")
    assert typo.fix is not None and typo.fix["replacement"] == '"aws_s3_bucket"'
    assert report.error_count == 9 and len(report) == 11


def test_providers_describe_types_and_name_near_misses() -> None:
    bucket = infrarag.providers.describe("aws_s3_bucket")
    assert (bucket["provider"], bucket["version"], bucket["kind"]) == ("aws", "6.25.0", "resource")
    assert bucket["attributes"]["arn"] == {"required": False, "optional": False, "computed": True, "type": "string"}
    ami = infrarag.providers.describe("data.aws_ami")
    assert ami["blocks"]["filter"]["nesting"] == "set" and ami["blocks"]["filter"]["max_items"] is None
    with pytest.raises(infrarag.InvalidArgumentError, match='did you mean "aws_s3_bucket"'):
        infrarag.providers.describe("aws_s3_buckt")
