"""jc 1.26.1 against infrarag.collect.parse, in one process run, on the same
outputs: the corpus's captures and jc's own fixtures for /proc/stat,
/proc/meminfo, /proc/loadavg, /proc/uptime, /proc/diskstats, /proc/net/dev,
df -PT -B1 and ss -tulpn (../shared/corpus/collectors).

Prints, for each, MB of output parsed per CPU-second by each library and
the ratio (the issue's goal: at least 50x), then the cost of a cached
CollectionService.collect from Python.

    make bench-peers          # installs jc, runs this with the others
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable

import jc

from infrarag.collect import CollectionService, parse

CORPUS = Path(os.environ.get("INFRARAG_CORPUS", Path(__file__).resolve().parents[3] / "shared" / "corpus"))
#: (our kind, jc's parser, corpus folder, which files)
CASES = [
    ("proc_stat", "proc_stat", "proc-stat", ""),
    ("meminfo", "proc_meminfo", "proc-meminfo", ""),
    ("loadavg", "proc_loadavg", "proc-loadavg", ""),
    ("uptime", "proc_uptime", "proc-uptime", ""),
    ("diskstats", "proc_diskstats", "proc-diskstats", ""),
    ("net_dev", "proc_net_dev", "proc-net-dev", ""),
    ("df", "df", "df", "-PT-B1"),
    ("ss", "ss", "ss", "tulpn."),
]


def cpu_rate(call: Callable[[str], object], texts: list[str], budget: float = 0.5) -> float:
    """MB parsed per CPU-second, repeating over `texts` for about `budget`."""
    size = sum(len(t.encode()) for t in texts)
    rounds, start = 0, time.process_time()
    while True:
        for t in texts:
            call(t)
        rounds += 1
        spent = time.process_time() - start
        if spent >= budget:
            return size * rounds / spent / 1e6


def main() -> None:
    print(f"{'output':<10} {'bytes':>7} {'jc MB/s':>9} {'ours MB/s':>10} {'ratio':>7}")
    for kind, parser, folder, only in CASES:
        texts = [p.read_text() for p in sorted((CORPUS / "collectors" / folder).glob("*.out")) if only in p.name]
        texts = [t for t in texts if t.strip()]
        theirs = cpu_rate(lambda t: jc.parse(parser, t, quiet=True), texts)
        ours = cpu_rate(lambda t: parse(kind, t), texts)  # type: ignore[arg-type]
        print(f"{kind:<10} {sum(map(len, texts)):>7} {theirs:>9.2f} {ours:>10.2f} {ours / theirs:>6.1f}x")

    service = CollectionService(system_interval=0.05)
    service.collect("localhost", "ports")
    n, start = 20_000, time.perf_counter()
    for _ in range(n):
        service.collect("localhost", "ports")
    print(f"cached collect from Python: {(time.perf_counter() - start) / n * 1e6:.1f} µs a call")


if __name__ == "__main__":
    main()
