"""jc 1.26.1 against infrarag.collect.parse, in one process run, on the same
outputs: the corpus's captures and jc's own fixtures for /proc/stat,
/proc/meminfo, /proc/loadavg, /proc/uptime, /proc/diskstats, /proc/net/dev,
df -PT -B1 and ss -tulpn (../shared/corpus/collectors).

Prints, for each, MB of output parsed per CPU-second by each library and
the ratio (the issue's goal: at least 50x), then the cost of a cached
CollectionService.collect from Python.

The last column bounds what any parser can reach from Python: jc's time
over the time `marshal.loads` takes to build jc's own result, the cheapest
way CPython has to make those dicts, lists, strings and numbers. A parser
returning Python objects cannot beat jc by more than that, however fast
it reads the text; `cargo bench -p infrarag-benches --bench collect`
measures ours without the objects (collect_parse_typed).

    make bench-peers          # installs jc, runs this with the others
"""

from __future__ import annotations

import marshal
import os
import time
from pathlib import Path
from typing import Callable, TypeVar

import jc

from infrarag.collect import CollectionService, parse

CORPUS = Path(os.environ.get("INFRARAG_CORPUS", Path(__file__).resolve().parents[3] / "shared" / "corpus"))
T = TypeVar("T")

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


def per_call(call: Callable[[T], object], items: list[T], budget: float = 0.5) -> float:
    """CPU seconds a call, repeating over `items` for about `budget`."""
    calls, start = 0, time.process_time()
    while True:
        for item in items:
            call(item)
        calls += len(items)
        spent = time.process_time() - start
        if spent >= budget:
            return spent / calls


def main() -> None:
    print(f"{'output':<10} {'bytes':>7} {'jc MB/s':>9} {'ours MB/s':>10} {'ratio':>7} {'ceiling':>8}")
    for kind, parser, folder, only in CASES:
        texts = [p.read_text() for p in sorted((CORPUS / "collectors" / folder).glob("*.out")) if only in p.name]
        texts = [t for t in texts if t.strip()]
        mean = sum(len(t.encode()) for t in texts) / len(texts)
        theirs = per_call(lambda t: jc.parse(parser, t, quiet=True), texts)
        ours = per_call(lambda t: parse(kind, t), texts)  # type: ignore[arg-type]
        objects = per_call(marshal.loads, [marshal.dumps(jc.parse(parser, t, quiet=True)) for t in texts])
        print(
            f"{kind:<10} {sum(map(len, texts)):>7} {mean / theirs / 1e6:>9.2f} {mean / ours / 1e6:>10.2f}"
            f" {theirs / ours:>6.1f}x {theirs / objects:>7.1f}x"
        )

    service = CollectionService(system_interval=0.05)
    service.collect("localhost", "ports")
    n, start = 20_000, time.perf_counter()
    for _ in range(n):
        service.collect("localhost", "ports")
    print(f"cached collect from Python: {(time.perf_counter() - start) / n * 1e6:.1f} µs a call")


if __name__ == "__main__":
    main()
