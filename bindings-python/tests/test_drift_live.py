"""infrarag.drift.compare_live: state against what is live, through the AWS
inventory against moto's emulator (``tests/servers/aws_server.py``, seeded
through boto3), through an inventory written in Python, and as SARIF."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

from infrarag import drift
from infrarag.errors import InvalidArgumentError, ProviderError

SERVER = Path(__file__).resolve().parents[2] / "tests" / "servers" / "aws_server.py"


class Emulator:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(SERVER), "--seed"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the AWS emulator did not start; `make test` installs moto[server] in .venv")
        ready = json.loads(line)
        self.endpoint: str = ready["endpoint"]
        self.seed: dict[str, Any] = ready["seed"]

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    e = Emulator()
    yield e
    e.stop()


def state_file(path: Path, resources: list[tuple[str, str, dict[str, Any]]]) -> Path:
    state = {
        "version": 4,
        "terraform_version": "1.11.0",
        "serial": 1,
        "lineage": "test",
        "outputs": {},
        "resources": [
            {
                "mode": "managed",
                "type": kind,
                "name": name,
                "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
                "instances": [{"schema_version": 0, "attributes": attributes, "sensitive_attributes": []}],
            }
            for kind, name, attributes in resources
        ],
    }
    path.write_text(json.dumps(state))
    return path


def inventory(emulator: Emulator) -> drift.AwsInventory:
    return drift.AwsInventory(
        regions=["us-east-1"], endpoint=emulator.endpoint, access_key_id="testing", secret_access_key="testing"
    )


def test_aws_drift_names_changed_missing_and_unmanaged(emulator: Emulator, tmp_path: Path) -> None:
    state = state_file(
        tmp_path / "terraform.tfstate",
        [
            ("aws_s3_bucket", "logs", {"id": "managed-logs", "bucket": "managed-logs", "tags": {"Env": "dev"}}),
            ("aws_s3_bucket", "old", {"id": "deleted-bucket", "bucket": "deleted-bucket"}),
            ("aws_iam_role", "app", {"id": "app", "name": "app", "path": "/"}),
        ],
    )
    aws = inventory(emulator)
    report = drift.compare_live(state, aws, resource_types=["aws_s3_bucket", "aws_iam_role", "aws_iam_user"])
    assert {r["address"] for r in report["managed"]} == {"aws_s3_bucket.logs", "aws_iam_role.app"}
    assert [r["address"] for r in report["missing"]] == ["aws_s3_bucket.old"]
    assert [(r["resource_type"], r["id"]) for r in report["unmanaged"]] == [
        ("aws_iam_user", "alice"),
        ("aws_s3_bucket", "unmanaged-bucket"),
    ]
    assert [(c["address"], c["path"], c["state"], c["live"]) for c in report["changed"]] == [
        ("aws_s3_bucket.logs", "tags.Env", "dev", "prod")
    ]
    assert report["coverage"] == pytest.approx(2 / 4)
    assert aws.requests > 0 and aws.regions == ["us-east-1"]
    assert "aws_s3_bucket" in aws.resource_types()

    quiet = asyncio.run(
        drift.compare_live_async(
            state,
            aws,
            ignore_patterns=["aws_iam_user.*", "aws_s3_bucket.managed-logs.tags"],
            resource_types=["aws_s3_bucket", "aws_iam_user"],
        )
    )
    assert quiet["unmanaged"] == [{"address": None, "resource_type": "aws_s3_bucket", "id": "unmanaged-bucket"}]
    assert quiet["changed"] == [] and quiet["ignored"] == 1

    sarif = drift.sarif(state, live=report)
    results = sarif["runs"][0]["results"]
    assert sorted(r["ruleId"] for r in results) == ["drift/changed", "drift/missing", "drift/unmanaged", "drift/unmanaged"]
    assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == str(state) for r in results)


class ResourceGroups:
    """An inventory of the caller's: two Azure resource groups."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def resource_types(self) -> list[str]:
        return ["azurerm_resource_group"]

    def list(self, resource_type: str) -> list[drift.LiveResource]:
        self.asked.append(resource_type)
        return [
            {"id": "/subscriptions/s/resourceGroups/rg1", "attributes": {"location": "westeurope", "tags": {}}},
            {"id": "/subscriptions/s/resourceGroups/rg2", "attributes": {"location": "westeurope"}},
        ]


def test_an_inventory_written_in_python(tmp_path: Path) -> None:
    state = state_file(
        tmp_path / "s.tfstate",
        [
            ("azurerm_resource_group", "one", {"id": "/subscriptions/s/resourceGroups/rg1", "location": "northeurope", "tags": None}),
            ("azurerm_resource_group", "three", {"id": "/subscriptions/s/resourceGroups/rg3", "location": "westeurope"}),
            ("aws_s3_bucket", "b", {"id": "b"}),
        ],
    )
    groups = ResourceGroups()
    report = drift.compare_live(state, groups)
    assert groups.asked == ["azurerm_resource_group"]
    assert [c["path"] for c in report["changed"]] == ["location"]
    assert [r["address"] for r in report["missing"]] == ["azurerm_resource_group.three"]
    assert [r["id"] for r in report["unmanaged"]] == ["/subscriptions/s/resourceGroups/rg2"]
    assert report["unsupported"] == ["aws_s3_bucket.b"]

    listed = drift.compare_live(state, {"azurerm_resource_group": groups.list("azurerm_resource_group")})
    assert listed == report

    class Broken(ResourceGroups):
        def list(self, resource_type: str) -> list[drift.LiveResource]:
            raise TimeoutError("the CMDB did not answer")

    with pytest.raises(TimeoutError, match="CMDB"):
        drift.compare_live(state, Broken())

    class Later:
        """An SDK's listing: a coroutine, awaited on the caller's loop."""

        def __init__(self) -> None:
            self.loops: list[asyncio.AbstractEventLoop] = []

        def resource_types(self) -> list[str]:
            return ["azurerm_resource_group"]

        async def list(self, resource_type: str) -> list[drift.LiveResource]:
            self.loops.append(asyncio.get_running_loop())
            await asyncio.sleep(0.01)
            return ResourceGroups().list(resource_type)

    async def on_a_loop() -> tuple[drift.LiveDrift, bool]:
        later = Later()
        report = await drift.compare_live_async(state, later)
        return report, later.loops == [asyncio.get_running_loop()]

    report_later, same_loop = asyncio.run(on_a_loop())
    assert report_later == report and same_loop
    assert drift.compare_live(state, Later()) == report


def test_bad_options_and_an_unreachable_endpoint_raise_typed_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError):
        drift.AwsInventory(access_key_id="only-half")
    with pytest.raises(TypeError):
        drift.AwsInventory(region="us-east-1")  # type: ignore[call-arg]
    down = drift.AwsInventory(
        endpoint="http://127.0.0.1:1", access_key_id="a", secret_access_key="b", max_retries=0, regions=["eu-west-1"]
    )
    with pytest.raises(ProviderError) as caught:
        down.list("aws_vpc")
    assert caught.value.model == "ec2:DescribeVpcs" and caught.value.status is None
