"""checkov 3.3.13 against infrarag.validate, in one process run, on the same
directories: the 80 check fixtures of ../shared/corpus/checkov, then the six
module repositories of ../shared/corpus/modules.

Both run only the checks infrarag ports (checkov has a thousand more), so
the times compare the same work. For every directory it prints nothing;
at the end, per corpus:

  - wall time of each tool (checkov: `Runner().run` per fixture directory
    or per repository, as its own tests and CLI call it; infrarag: one
    `validate` per root module directory under it, which also judges each
    local module it calls, per call, as checkov does) and the ratio;
  - agreement: the (check, file, resource, PASSED/FAILED) verdicts of each,
    and where they differ; also with every verdict folded onto its
    declaration (module prefixes and instance keys dropped), which
    separates differences of verdict from differences of naming.

    make bench-validate       # installs checkov into .bench/peers, runs this
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path

import infrarag
from infrarag import hcl, validation

CORPUS = Path(os.environ.get("INFRARAG_CORPUS", Path(__file__).resolve().parents[3] / "shared" / "corpus"))
PEERS = Path(__file__).resolve().parents[2] / ".bench" / "peers"
CHECKOV = PEERS / "checkov-3.3.13"

Verdict = tuple[str, str, str, str]  # check, file from the scanned root, address, outcome


def import_checkov() -> tuple[type, type]:
    if not CHECKOV.is_dir():
        raise SystemExit(f"checkov is not installed under {CHECKOV}: run `make bench-validate`")
    sys.path.insert(0, str(CHECKOV))
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    from checkov.runner_filter import RunnerFilter
    from checkov.terraform.runner import Runner

    return Runner, RunnerFilter


def module_dirs(root: Path) -> list[Path]:
    """Every directory under `root` (itself included) holding `.tf` files."""
    return sorted({p.parent for p in root.rglob("*.tf")})


def checkov_run(runner: type, runner_filter: type, root: Path, checks: list[str]) -> set[Verdict]:
    report = runner().run(
        root_folder=str(root),
        runner_filter=runner_filter(framework=["terraform"], checks=checks),
    )
    out: set[Verdict] = set()
    for outcome, records in (("PASSED", report.passed_checks), ("FAILED", report.failed_checks)):
        for r in records:
            out.add((r.check_id, r.file_path, r.resource, outcome))
    return out


def roots(root: Path) -> list[Path]:
    """The module directories under `root` that no other one calls: checkov,
    scanning `root`, judges a called module only per call."""
    dirs = module_dirs(root)
    called: set[Path] = set()
    for d in dirs:
        for decl in hcl.load_module(d)["declarations"]:
            source = decl["details"].get("source") or ""
            if decl["kind"] == "module" and source.startswith(("./", "../")):
                called.add(Path(os.path.normpath(d / source)))
    return [d for d in dirs if d not in called]


def infrarag_run(root: Path, dirs: list[Path], checks: list[str]) -> set[Verdict]:
    out: set[Verdict] = set()
    for d in dirs:
        report = infrarag.validate(d, checks=checks)
        for p in report.policies:
            if p["outcome"] in ("PASSED", "FAILED"):
                file = "/" + os.path.relpath(os.path.normpath(d / p["file"]), root)
                out.add((p["check"], file, p["address"], p["outcome"]))
    return out


def folded(v: Verdict) -> Verdict:
    """A verdict named by its declaration: `module.a["x"].module.b.aws_s3_bucket.b[0]`
    becomes `aws_s3_bucket.b`."""
    check, file, address, outcome = v
    parts = re.sub(r"\[[^\]]*\]", "", address).split(".")
    while len(parts) > 2 and parts[0] == "module":
        parts = parts[2:]
    return check, file, ".".join(parts), outcome


def compare(name: str, runs: list[tuple[Path, list[str]]], runner: type, runner_filter: type) -> None:
    theirs: set[tuple[str, Verdict]] = set()
    ours: set[tuple[str, Verdict]] = set()
    checkov_s = infrarag_s = 0.0
    for root, checks in runs:
        start = time.perf_counter()
        found = checkov_run(runner, runner_filter, root, checks)
        checkov_s += time.perf_counter() - start
        theirs |= {(root.name, v) for v in found}
        dirs = roots(root)  # what checkov's tree scan decides, outside the timing
        start = time.perf_counter()
        found = infrarag_run(root, dirs, checks)
        infrarag_s += time.perf_counter() - start
        ours |= {(root.name, v) for v in found}
    same = theirs & ours
    print(f"\n{name}: {len(runs)} runs")
    print(f"  checkov   {checkov_s:8.2f} s   {len(theirs):6d} verdicts")
    print(f"  infrarag  {infrarag_s:8.3f} s   {len(ours):6d} verdicts")
    print(f"  infrarag is {checkov_s / infrarag_s:.0f}x faster")
    print(f"  agreement: {len(same)} verdicts in both; {len(theirs - ours)} only checkov's, {len(ours - theirs)} only ours")
    theirs_folded = {(r, folded(v)) for r, v in theirs}
    ours_folded = {(r, folded(v)) for r, v in ours}
    print(
        f"  folded onto declarations: {len(theirs_folded & ours_folded)} in both; "
        f"{len(theirs_folded - ours_folded)} only checkov's, {len(ours_folded - theirs_folded)} only ours"
    )
    by_check = Counter(v[1][0] for v in (theirs_folded ^ ours_folded))
    if by_check:
        print("  differences by check: " + ", ".join(f"{c} {n}" for c, n in by_check.most_common()))
    for root, v in sorted(theirs_folded - ours_folded)[:12]:
        print(f"    only checkov: {root} {v}")
    for root, v in sorted(ours_folded - theirs_folded)[:12]:
        print(f"    only ours:    {root} {v}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fixtures-only", action="store_true", help="skip the module repositories")
    args = parser.parse_args()
    runner, runner_filter = import_checkov()
    ported = validation.check_ids()
    fixtures = sorted(p for cloud in ("aws", "azure", "gcp") for p in (CORPUS / "checkov" / cloud).iterdir())
    runs = [(d, [d.name]) for d in fixtures if d.name in ported]
    print(f"{len(ported)} ported checks; checkov runs them only")
    compare("checkov fixtures (one check per directory)", runs, runner, runner_filter)
    if not args.fixtures_only:
        repos = sorted(p for p in (CORPUS / "modules").iterdir() if p.is_dir())
        compare("module repositories (every ported check)", [(r, ported) for r in repos], runner, runner_filter)


if __name__ == "__main__":
    main()
