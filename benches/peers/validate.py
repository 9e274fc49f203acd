"""checkov 3.3.13 against infrarag.validate, in one process run, on the same
directories: the 80 check fixtures of ../shared/corpus/checkov, then the six
module repositories of ../shared/corpus/modules.

Both run only the checks infrarag ports (checkov has a thousand more), so
the times compare the same work. For every directory it prints nothing;
at the end, per corpus:

  - wall time of each tool, on a first pass and the best later one, and
    of infrarag's recursive scan (`validate(root, recursive=True)`, one
    call per fixture directory or repository, every module directory under
    it validated, called ones on their own too);
  - wall time of each tool, on a first pass and the best later one
    (`--passes`, default 2) (checkov: `Runner().run` per fixture directory
    or per repository, as its own tests and CLI call it; infrarag: one
    `validate` per root module directory under it, which also judges each
    local module it calls, per call, as checkov does) and the ratio;
  - agreement: the (check, file, resource, PASSED/FAILED) verdicts of each,
    and where they differ; also with every verdict folded onto its
    declaration (module prefixes and instance keys dropped), which
    separates differences of verdict from differences of naming.

Then, with `--cli N` (default 10), both command-line programs on the
first N fixture directories, a fresh process per directory, as a CI job
shells out to them.

    make bench-validate       # installs checkov into .bench/peers, runs this
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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


@contextmanager
def timed(collect: bool = True) -> Iterator[list[float]]:
    """Times its body with the cyclic garbage collector off, as `timeit`
    does, so neither tool pays for collecting the other's garbage (checkov
    leaves a large heap behind); the seconds are in the yielded list. Each
    tool runs over one directory of a corpus at a time, as a CI job or a
    generation loop would call it, and a corpus's time is their sum; the
    time covers the calls and their reports, and the verdicts are read from
    those reports afterwards."""
    if collect:
        gc.collect()
    gc.disable()
    clock = [0.0]
    start = time.perf_counter()
    try:
        yield clock
    finally:
        clock[0] = time.perf_counter() - start
        gc.enable()


def checkov_run(runner: type, runner_filter: type, root: Path, checks: list[str]) -> Any:
    return runner().run(
        root_folder=str(root),
        runner_filter=runner_filter(framework=["terraform"], checks=checks),
    )


def checkov_verdicts(report: Any) -> set[Verdict]:
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


def infrarag_run(dirs: list[Path], checks: list[str]) -> list[tuple[Path, list[dict[str, Any]]]]:
    return [(d, infrarag.validate(d, checks=checks).policies) for d in dirs]


def infrarag_verdicts(root: Path, results: list[tuple[Path, list[dict[str, Any]]]]) -> set[Verdict]:
    """Our verdicts, with files named from the scanned root as checkov names them."""
    out: set[Verdict] = set()
    for d, policies in results:
        for p in policies:
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


def compare(name: str, runs: list[tuple[Path, list[str]]], runner: type, runner_filter: type, passes: int) -> None:
    theirs: set[tuple[str, Verdict]] = set()
    ours: set[tuple[str, Verdict]] = set()
    checkov_s = [0.0] * passes
    infrarag_s = [0.0] * passes
    recursive_s = [0.0] * passes
    dirs = {root: roots(root) for root, _ in runs}  # what checkov's tree scan decides, outside the timing
    for n in range(passes):
        # Each directory is timed on its own and the times summed: garbage
        # is collected between directories, outside the timing, since
        # checkov's heap with every check over six repositories, never
        # collected, outgrew a 24 GiB machine. Each tool still runs over
        # the whole corpus before the next starts, so neither pays for the
        # other's cache misses.
        for root, checks in runs:
            with timed() as clock:
                report = checkov_run(runner, runner_filter, root, checks)
            checkov_s[n] += clock[0]
            theirs |= {(root.name, v) for v in checkov_verdicts(report)}
            del report
        # infrarag leaves little garbage: one collection before its run,
        # not one per directory, which would walk checkov's heap (and
        # evict the caches) before every call.
        gc.collect()
        for root, checks in runs:
            with timed(collect=False) as clock:
                result = infrarag_run(dirs[root], checks)
            infrarag_s[n] += clock[0]
            ours |= {(root.name, v) for v in infrarag_verdicts(root, result)}
        for root, checks in runs:
            with timed(collect=False) as clock:
                scan = infrarag.validate(root, checks=checks, recursive=True)
            recursive_s[n] += clock[0]
            del scan
    same = theirs & ours
    print(f"\n{name}: {len(runs)} runs, {passes} passes")
    for tool, times, verdicts in (("checkov", checkov_s, theirs), ("infrarag", infrarag_s, ours)):
        again = f", then {min(times[1:]):8.4f} s" if passes > 1 else ""
        print(f"  {tool:9s} first pass {times[0]:8.4f} s{again}   {len(verdicts):6d} verdicts")
    print(f"  infrarag is {checkov_s[0] / infrarag_s[0]:.0f}x faster on the first pass", end="")
    if passes > 1:
        print(f", {min(checkov_s[1:]) / min(infrarag_s[1:]):.0f}x on later passes (both warm)")
    else:
        print()
    again = f", then {min(recursive_s[1:]):8.4f} s" if passes > 1 else ""
    print(
        f"  infrarag recursive, one call per root: first pass {recursive_s[0]:8.4f} s{again}; "
        f"{checkov_s[0] / recursive_s[0]:.0f}x faster than checkov on the first pass"
        + (f", {min(checkov_s[1:]) / min(recursive_s[1:]):.0f}x later" if passes > 1 else "")
    )
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


def compare_cli(fixtures: list[Path], binary: Path) -> None:
    """Each command-line program as a CI job runs it, a fresh process per
    fixture directory: `checkov -d DIR --check ID` against
    `infrarag validate DIR --checks ID`, both writing JSON."""
    env = dict(os.environ, PYTHONPATH=str(CHECKOV), LOG_LEVEL="ERROR")
    commands = {
        "checkov": lambda d: [sys.executable, "-m", "checkov.main", "-d", str(d), "--framework", "terraform",
                              "--check", d.name, "-o", "json", "--quiet"],
        "infrarag": lambda d: [str(binary), "validate", str(d), "--checks", d.name, "--format", "json"],
    }
    seconds: dict[str, float] = {}
    for tool, command in commands.items():
        start = time.perf_counter()
        for d in fixtures:
            # Both exit 1 when a check fails, as the fixtures make them.
            done = subprocess.run(command(d), env=env, capture_output=True, check=False)
            if done.returncode not in (0, 1):
                raise SystemExit(f"{tool} failed on {d}: {done.stderr.decode()[-2000:]}")
        seconds[tool] = (time.perf_counter() - start) / len(fixtures)
    print(f"\ncommand-line programs, one process per fixture directory: {len(fixtures)} runs")
    for tool, s in seconds.items():
        print(f"  {tool:9s} {s * 1000:9.1f} ms a run")
    print(f"  infrarag is {seconds['checkov'] / seconds['infrarag']:.0f}x faster")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fixtures-only", action="store_true", help="skip the module repositories")
    parser.add_argument(
        "--passes",
        type=int,
        default=2,
        help="times each tool runs over each corpus: the first pass pays one-time costs "
        "(imports done, but first calls, lazy tables, cold code pages); later ones show "
        "the steady state of a long-running process",
    )
    parser.add_argument(
        "--cli",
        type=int,
        default=10,
        metavar="N",
        help="also run both command-line programs on the first N fixture directories (0: skip)",
    )
    parser.add_argument(
        "--infrarag-bin",
        type=Path,
        default=Path(os.environ.get("INFRARAG_BIN", "target/release/infrarag")),
        help="the infrarag program for --cli (default: $INFRARAG_BIN, else target/release/infrarag)",
    )
    parser.add_argument(
        "--checks",
        metavar="ID,ID",
        help="on the module repositories, compare only these ported checks (default: all)",
    )
    args = parser.parse_args()
    runner, runner_filter = import_checkov()
    ported = validation.check_ids()
    chosen = ported
    if args.checks:
        chosen = [c for c in args.checks.split(",") if c]
        unknown = sorted(set(chosen) - set(ported))
        if unknown:
            raise SystemExit(f"--checks names checks infrarag does not port: {', '.join(unknown)}")
    fixtures = sorted(p for cloud in ("aws", "azure", "gcp") for p in (CORPUS / "checkov" / cloud).iterdir())
    runs = [(d, [d.name]) for d in fixtures if d.name in ported]
    print(f"{len(ported)} ported checks; checkov runs them only")
    compare("checkov fixtures (one check per directory)", runs, runner, runner_filter, args.passes)
    if args.cli:
        compare_cli([d for d, _ in runs[: args.cli]], args.infrarag_bin)
    if not args.fixtures_only:
        repos = sorted(p for p in (CORPUS / "modules").iterdir() if p.is_dir())
        name = "every ported check" if chosen is ported else ", ".join(chosen)
        compare(f"module repositories ({name})", [(r, chosen) for r in repos], runner, runner_filter, args.passes)


if __name__ == "__main__":
    main()
