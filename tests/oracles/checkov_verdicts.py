"""Records checkov 3.3.13's verdicts on this repository's own fixtures for
the checks checkov ships without one (../shared/corpus/checkov-all/
skipped.json): for each tests/fixtures/checkov/<provider>/<CHECK_ID>/, the
addresses that check passed, failed and skipped there, written beside the
fixture as expected.json (the corpus's layout and field names), with the
keys checkov read. One checkov run judges every folder.

    make bench-validate                      # installs checkov
    PYTHONPATH=.bench/peers/checkov-3.3.13 .venv/bin/python tests/oracles/checkov_verdicts.py
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "fixtures" / "checkov"
folders = {d.name: d for d in ROOT.glob("*/*") if d.is_dir()}
command = [
    sys.executable, "-c", "from checkov.main import Checkov; import sys; sys.exit(Checkov().run())",
    "-d", str(ROOT), "--framework", "terraform", "--check", ",".join(sorted(folders)),
    "-o", "json", "--skip-download", "--compact",
]
out = subprocess.run(command, capture_output=True, text=True, check=False)
report = json.loads(out.stdout)
results = report["results"] if isinstance(report, dict) else report[0]["results"]
verdicts: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
keys: dict[str, dict[str, list[str]]] = defaultdict(dict)
for outcome in ("passed_checks", "failed_checks", "skipped_checks"):
    for r in results.get(outcome, []):
        folder = Path(r["file_path"].lstrip("/")).parts[1]
        if folder != r["check_id"]:
            continue  # another check's fixture
        verdicts[folder][outcome.split("_")[0]].append(r["resource"])
        keys[folder][r["resource"]] = sorted(r["check_result"].get("evaluated_keys") or [])
# Each check's title, kind and types as checkov's registries hold them.
from checkov.terraform.checks.resource.registry import resource_registry  # noqa: E402

described = {
    c.id: c for checks in resource_registry.checks.values() for c in checks if c.id in folders
}
for check_id, folder in sorted(folders.items()):
    check = described[check_id]
    expected = {
        "check_id": check_id,
        "title": check.name,
        "provider": folder.parent.name,
        "kind": "resource",
        "resource_types": sorted(check.supported_resources),
        "passed": sorted(verdicts[check_id]["passed"]),
        "failed": sorted(verdicts[check_id]["failed"]),
        "skipped": sorted(verdicts[check_id]["skipped"]),
        "evaluated_keys": keys[check_id],
        "expected_from": "checkov 3.3.13 (tests/oracles/checkov_verdicts.py)",
    }
    (folder / "expected.json").write_text(json.dumps(expected, indent=2) + "\n")
print(f"{len(folders)} fixtures recorded")
