"""Drift of many managed EC2 instances against the local AWS emulator
(moto's server, tests/servers/aws_server.py, seeded through boto3): a state
of N managed instances, 1% of them with another instance type, compared by
infrarag.drift.compare_live over its AWS inventory, and by what a platform
writes by hand: boto3's paginator over DescribeInstances, then a dict walk
of the state. Prints wall time, requests sent and peak memory for each, and
the ratios, in one process run against the same server.

    make bench-peers          # runs this with the others
    python benches/peers/drift.py --instances 10000

Seeding moto takes about 2 minutes for 10,000 instances; the emulator, not
the client, bounds both timings, so the figures say what each client adds.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import boto3

from infrarag import drift

ROOT = Path(__file__).resolve().parents[2]
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")


def peak_reset() -> None:
    """Starts a new peak: Linux's VmHWM restarts from now."""
    Path("/proc/self/clear_refs").write_text("5")


def peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measured(label: str, run: Callable[[], tuple[int, int]]) -> tuple[float, int, float, int]:
    peak_reset()
    start = time.perf_counter()
    requests, changed = run()
    wall = time.perf_counter() - start
    peak = peak_mib()
    print(f"{label:<28} {wall:8.2f} s  {requests:6d} requests  peak {peak:7.1f} MiB  {changed} changed")
    return wall, requests, peak, changed


def state_of(seed: dict[str, Any], path: Path) -> int:
    """A state managing every seeded instance; every hundredth recorded
    with another type. Returns how many differ."""
    ids = [seed["instance"], *seed["instances"]]
    resources = []
    differing = 0
    for n, instance in enumerate(ids):
        kind = "t3.micro" if n else "t2.micro"
        if n % 100 == 1:
            kind, differing = "t3.small", differing + 1
        resources.append({
            "mode": "managed", "type": "aws_instance", "name": f"i{n}",
            "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
            "instances": [{"schema_version": 1, "sensitive_attributes": [], "attributes": {
                "id": instance, "ami": seed["image"], "instance_type": kind, "tags": {}}}],
        })
    path.write_text(json.dumps({"version": 4, "terraform_version": "1.11.0", "serial": 1,
                                "lineage": "bench", "outputs": {}, "resources": resources}))
    return differing


def by_hand(endpoint: str, state: Path) -> tuple[int, int]:
    """boto3's paginator, then the state's instances compared field by field."""
    ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url=endpoint)
    sent = [0]
    ec2.meta.events.register("before-send.ec2.*", lambda **_: sent.__setitem__(0, sent[0] + 1))
    live: dict[str, dict[str, Any]] = {}
    for page in ec2.get_paginator("describe_instances").paginate(PaginationConfig={"PageSize": 1000}):
        for reservation in page["Reservations"]:
            for i in reservation["Instances"]:
                if i["State"]["Name"] not in ("terminated", "shutting-down"):
                    live[i["InstanceId"]] = {"ami": i["ImageId"], "instance_type": i["InstanceType"]}
    changed = 0
    with state.open() as f:
        for r in json.load(f)["resources"]:
            for instance in r["instances"]:
                a = instance["attributes"]
                now = live.get(a["id"])
                if now is not None:
                    changed += sum(a.get(k) != v for k, v in now.items())
    return sent[0], changed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=10_000)
    args = parser.parse_args()
    print(f"seeding moto with {args.instances + 1} instances ...", flush=True)
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "servers" / "aws_server.py"), "--instances", str(args.instances)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert server.stdout is not None and server.stdin is not None
    ready = json.loads(server.stdout.readline())
    try:
        with tempfile.TemporaryDirectory() as folder:
            state = Path(folder) / "terraform.tfstate"
            differing = state_of(ready["seed"], state)
            print(f"state: {state.stat().st_size / 1e6:.1f} MB, {differing} instances recorded with another type")

            def ours() -> tuple[int, int]:
                inventory = drift.AwsInventory(regions=["us-east-1"], endpoint=ready["endpoint"])
                report = drift.compare_live(state, inventory, resource_types=["aws_instance"])
                assert not report["missing"] and not report["unmanaged"], report["missing"][:3]
                return inventory.requests, len(report["changed"])

            a = measured("infrarag compare_live", ours)
            b = measured("boto3 paginator + dict walk", lambda: by_hand(ready["endpoint"], state))
            assert a[3] == b[3] == differing, (a[3], b[3], differing)
            print(f"ratio (boto3 / infrarag): wall {b[0] / a[0]:.2f}x, peak memory {b[2] / a[2]:.2f}x")
    finally:
        server.stdin.close()
        server.wait()


if __name__ == "__main__":
    main()
