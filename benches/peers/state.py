"""Reading Terraform state: a generated state file of 50,000 instances
(built-in `terraform_data` resources, so `terraform show -json` reads it
offline) read by infrarag.drift.read_state, by Python's json module with a
walk that builds each instance's address and attributes, and by
`terraform show -json` where terraform is installed. Prints MB/s for each
and the ratios, in one process run on the same file.

    make bench-peers          # runs this with the others
    python benches/peers/state.py --instances 50000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from infrarag import drift


def generate(path: Path, instances: int) -> None:
    """A version 4 state: resources of 100 instances each (count), every
    instance with nested input and output objects and one dependency."""
    resources = []
    per = 100
    for r in range(max(1, instances // per)):
        rows = []
        for i in range(per):
            value = {"name": f"svc-{r}-{i}", "port": 8000 + i, "tags": {"team": "core", "env": "prod"},
                     "cidrs": [f"10.{r % 250}.{i}.0/24", f"10.{r % 250}.{i}.128/25"]}
            wrapped = {"value": value, "type": ["object", {"name": "string", "port": "number",
                                                          "tags": ["map", "string"], "cidrs": ["list", "string"]}]}
            rows.append({"index_key": i, "schema_version": 0,
                         "attributes": {"id": f"{r:08x}-{i:04x}-0000-0000-000000000000", "input": wrapped,
                                        "output": wrapped, "triggers_replace": None},
                         "sensitive_attributes": [], "dependencies": [f"terraform_data.r{max(r - 1, 0)}"]})
        resources.append({"mode": "managed", "type": "terraform_data", "name": f"r{r}",
                          "provider": "provider[\"terraform.io/builtin/terraform\"]", "instances": rows})
    state = {"version": 4, "terraform_version": "1.11.4", "serial": 1,
             "lineage": "00000000-0000-0000-0000-000000000000", "outputs": {}, "resources": resources, "check_results": None}
    path.write_text(json.dumps(state, indent=2))


def python_walk(path: Path) -> list[dict[str, Any]]:
    """What a platform writes by hand: json.load, then each instance's
    address (module, data., count/for_each key) and attributes."""
    with path.open() as f:
        state = json.load(f)
    out = []
    for r in state["resources"]:
        base = ("data." if r["mode"] == "data" else "") + f"{r['type']}.{r['name']}"
        if r.get("module"):
            base = f"{r['module']}.{base}"
        for i in r["instances"]:
            key = i.get("index_key")
            suffix = "" if key is None else f"[{json.dumps(key)}]" if isinstance(key, str) else f"[{key}]"
            out.append({"address": base + suffix, "attributes": i.get("attributes")})
    return out


def best(run: Any, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "terraform.tfstate"
        generate(path, args.instances)
        mb = path.stat().st_size / 1e6
        ours = drift.read_state(path)
        theirs = python_walk(path)
        assert [i["address"] for i in ours["instances"]] == [i["address"] for i in theirs]
        print(f"state: {len(theirs)} instances, {mb:.1f} MB")
        ours_s = best(lambda: drift.read_state(path))
        walk_s = best(lambda: python_walk(path))
        print(f"  infrarag drift.read_state   {ours_s * 1e3:8.0f} ms  {mb / ours_s:7.1f} MB/s")
        print(f"  json.load + walk            {walk_s * 1e3:8.0f} ms  {mb / walk_s:7.1f} MB/s"
              f"   ratio {walk_s / ours_s:.2f}x")
        terraform = shutil.which("terraform")
        if terraform is None:
            print("  terraform show -json        not run: terraform is not installed")
            return
        env = dict(os.environ, TF_CLI_CONFIG_FILE="/dev/null", CHECKPOINT_DISABLE="1")
        t = time.perf_counter()
        subprocess.run([terraform, "show", "-json", str(path)], cwd=tmp, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        tf_s = time.perf_counter() - t
        print(f"  terraform show -json        {tf_s * 1e3:8.0f} ms  {mb / tf_s:7.1f} MB/s"
              f"   ratio {tf_s / ours_s:.2f}x")


if __name__ == "__main__":
    main()
