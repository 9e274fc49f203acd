"""Drift between a Terraform state and what is live in AWS: missing,
unmanaged and changed resources, as a platform's drift job reports them.

With no arguments it starts a local AWS emulator (moto, which `make test`
installs), makes two buckets there as `terraform apply` would have, writes
their state, then changes one bucket by hand, deletes the other and makes
a third outside Terraform:

    python examples/python/drift.py

Against your own account (credentials and region as the AWS CLI finds
them), with a .driftignore and a SARIF file for code scanning:

    python examples/python/drift.py --state terraform.tfstate --region eu-west-1 \\
        --ignore .driftignore --sarif drift.sarif
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import socket
import tempfile
from pathlib import Path
from typing import Any, Optional

from infrarag import drift


def emulated(folder: Path) -> tuple[str, Path]:
    """A moto server with the scenario made through its API, and the state
    Terraform would have written before the hand edits."""
    import boto3
    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False).start()
    endpoint = f"http://127.0.0.1:{port}"
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "example")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "example")
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=endpoint)
    for bucket in ("app-logs", "app-artifacts"):
        s3.create_bucket(Bucket=bucket)
    s3.put_bucket_tagging(Bucket="app-logs", Tagging={"TagSet": [{"Key": "Env", "Value": "dev"}]})
    state = {
        "version": 4, "terraform_version": "1.11.0", "serial": 1, "lineage": "example", "outputs": {},
        "resources": [
            {"mode": "managed", "type": "aws_s3_bucket", "name": name,
             "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
             "instances": [{"schema_version": 0, "attributes": attributes, "sensitive_attributes": []}]}
            for name, attributes in [
                ("logs", {"id": "app-logs", "bucket": "app-logs", "tags": {"Env": "dev"}}),
                ("artifacts", {"id": "app-artifacts", "bucket": "app-artifacts", "tags": {}}),
            ]
        ],
    }
    path = folder / "terraform.tfstate"
    path.write_text(json.dumps(state))
    # What happened since: a tag edited in the console, a bucket deleted by
    # hand, one made by a script.
    s3.put_bucket_tagging(Bucket="app-logs", Tagging={"TagSet": [{"Key": "Env", "Value": "prod"}]})
    s3.delete_bucket(Bucket="app-artifacts")
    s3.create_bucket(Bucket="scratch-bucket")
    return endpoint, path


async def main(state: Optional[str], regions: list[str], ignore: Optional[str], sarif: Optional[str]) -> int:
    endpoint = None
    if state is None:
        endpoint, path = emulated(Path(tempfile.mkdtemp(prefix="infrarag-drift-")))
        state = str(path)
        regions = ["us-east-1"]
    inventory = drift.AwsInventory(regions=regions or None, endpoint=endpoint)
    # Only the S3 types here; leave `resource_types` out to list all 17.
    types = [t for t in inventory.resource_types() if t.startswith("aws_s3_")] if endpoint else None
    report = await drift.compare_live_async(state, inventory, ignore=ignore, resource_types=types)
    for r in report["missing"]:
        print(f"missing {r['address']} (id {r['id']})")
    for r in report["unmanaged"]:
        print(f"unmanaged {r['resource_type']} {r['id']}")
    for c in report["changed"]:
        print(f"changed {c['address']} {c['path']}: {c['state']!r} -> {c['live']!r}")
    print(f"coverage: {report['coverage']:.0%} of {len(report['managed']) + len(report['unmanaged'])} live resources "
          f"({inventory.requests} requests)")
    if sarif:
        Path(sarif).write_text(json.dumps(drift.sarif(state, live=report), indent=2))
    drifted: Any = report["missing"] or report["unmanaged"] or report["changed"]
    return 1 if drifted else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--state", help="a state file; without it, the local emulator's scenario")
    parser.add_argument("--region", action="append", default=[], help="a region to list (repeatable)")
    parser.add_argument("--ignore", help="a .driftignore file")
    parser.add_argument("--sarif", help="also write the findings as SARIF here")
    args = parser.parse_args()
    raise SystemExit(asyncio.run(main(args.state, args.region, args.ignore, args.sarif)))
