"""python-hcl2 7.3.1 and 8.1.4 against infrarag.hcl.loads, in one process run,
on the same input: every .tf file of ../shared/corpus/modules.

Prints MB per CPU-second for each library and the ratios, then times
infrarag.hcl.load_module over the six module repositories (wall and CPU time,
to show it uses every core). With --compare it also counts, over all .tf files
of the corpus, how often each dialect returns exactly what its python-hcl2
version returns.

    make bench-peers          # installs both python-hcl2 versions, runs this
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

from infrarag import hcl

CORPUS = Path(os.environ.get("INFRARAG_CORPUS", Path(__file__).resolve().parents[3] / "shared" / "corpus"))
PEERS = Path(__file__).resolve().parents[2] / ".bench" / "peers"
VERSIONS = {"v7": "7.3.1", "v8": "8.1.4"}


def import_hcl2(version: str) -> ModuleType:
    """Imports the python-hcl2 installed under PEERS/hcl2-<version>; both
    versions are named `hcl2`, so each import starts from a clean slate."""
    for name in [m for m in sys.modules if m == "hcl2" or m.startswith("hcl2.")]:
        del sys.modules[name]
    path = str(PEERS / f"hcl2-{version}")
    sys.path.insert(0, path)
    try:
        module = importlib.import_module("hcl2")
    finally:
        sys.path.remove(path)
    found = getattr(module, "__version__", None) or version
    if not str(found).startswith(version):
        raise SystemExit(f"expected python-hcl2 {version} under {path}, found {found}")
    return module


def mb_per_cpu_second(texts: list[str], fn: Callable[[str], Any], repeat: int) -> float:
    megabytes = sum(len(t.encode()) for t in texts) / 1e6
    fn(texts[0])  # warm-up: python-hcl2 builds its LALR tables on first use
    start = time.process_time()
    for _ in range(repeat):
        for t in texts:
            fn(t)
    return megabytes * repeat / (time.process_time() - start)


def outcome(fn: Callable[[str], Any], text: str) -> tuple[bool, Any]:
    try:
        return True, fn(text)
    except Exception:  # noqa: BLE001 - any failure counts as "rejected"
        return False, None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--compare", action="store_true", help="also report agreement over every corpus .tf file")
    parser.add_argument("--repeat", type=int, default=3, help="passes over the corpus for infrarag (default 3)")
    args = parser.parse_args()

    files = sorted((CORPUS / "modules").rglob("*.tf"))
    texts = [p.read_text() for p in files]
    megabytes = sum(len(t.encode()) for t in texts) / 1e6
    print(f"input: {len(texts)} files, {megabytes:.2f} MB (../shared/corpus/modules)")
    print(f"{'library':<28}{'MB/CPU-s':>10}{'ratio':>10}")
    for dialect, version in VERSIONS.items():
        peer = import_hcl2(version)
        theirs = mb_per_cpu_second(texts, peer.loads, 1)
        ours = mb_per_cpu_second(texts, lambda t: hcl.loads(t, dialect=dialect), args.repeat)  # noqa: B023
        print(f"{'python-hcl2 ' + version:<28}{theirs:>10.2f}")
        print(f"{'infrarag loads ' + dialect:<28}{ours:>10.2f}{ours / theirs:>9.1f}x")

    modules = sorted(p for p in (CORPUS / "modules").iterdir() if p.is_dir())
    wall, cpu = time.perf_counter(), time.process_time()
    declarations = sum(len(hcl.load_module(m)["declarations"]) for m in modules)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"load_module x{len(modules)}: {declarations} declarations, wall {wall * 1000:.0f} ms, "
        f"CPU {cpu * 1000:.0f} ms ({cpu / wall:.2f} cores busy of {os.cpu_count()})"
    )

    if args.compare:
        every = sorted(p for p in CORPUS.rglob("*.tf") if "python-hcl2" not in p.parts)
        for dialect, version in VERSIONS.items():
            peer = import_hcl2(version)
            same = 0
            for path in every:
                text = path.read_bytes().decode("utf-8", errors="replace")
                if outcome(peer.loads, text) == outcome(lambda t: hcl.loads(t, dialect=dialect), text):  # noqa: B023
                    same += 1
            print(f"{dialect} vs python-hcl2 {version}: {same}/{len(every)} files give the same result")


if __name__ == "__main__":
    main()
