"""One index shared by threads and asyncio tasks, as a web backend shares
it: ingestion, search, len, sources and removal interleaved. The stress
runs in a child process so that a deadlock fails the test instead of
hanging it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"

STRESS = textwrap.dedent(
    """
    import asyncio, sys, threading, time
    from infrarag import BusyError
    from infrarag.index import Index

    a, b, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    index = Index()
    QUERY = "role policy attachment"

    def state():
        hits = [h.citation for h in index.search(QUERY, 20, mode="lexical")]
        return len(index), frozenset(s["path"] for s in index.sources()), hits

    index.add_path(a, extensions=["tf"])
    only_a = state()
    index.add_path(b, extensions=["tf"])
    both = state()
    index.remove_path(b)
    assert state() == only_a and only_a != both
    lens = {only_a[0], both[0]}
    path_sets = {only_a[1], both[1]}
    rankings = [only_a[2], both[2]]
    every_path = both[1]

    errors = []
    counts = {"ingest": 0, "remove": 0, "len": 0, "sources": 0, "search": 0,
              "hybrid": 0, "async": 0, "cancelled": 0, "busy": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def count(kind):
        with lock:
            counts[kind] += 1

    def check(what, ok):
        if not ok:
            errors.append(what)

    def writer():
        ticks = []
        while time.monotonic() < deadline:
            index.add_path(b, extensions=["tf"], progress=lambda d, t, s: ticks.append(s))
            count("ingest")
            check("remove", index.remove_path(b) > 0)
            count("remove")

    def reader():
        while time.monotonic() < deadline:
            check(f"len", len(index) in lens)
            count("len")
            sources = index.sources()
            check("sources", frozenset(s["path"] for s in sources) in path_sets)
            check("sources sum", sum(s["chunks"] for s in sources) in lens)
            count("sources")
            check("lexical ranking", [h.citation for h in index.search(QUERY, 20, mode="lexical")] in rankings)
            count("search")
            hits = index.search("iam role with a trust policy", 10)
            check("hybrid paths", all(h.chunk.path in every_path for h in hits))
            count("hybrid")

    async def tasks():
        while time.monotonic() < deadline:
            hits = await index.search_async(QUERY, 20, mode="lexical")
            check("async ranking", [h.citation for h in hits] in rankings)
            check("async len", len(index) in lens)
            count("async")
            job = asyncio.ensure_future(index.add_path_async(b, extensions=["tf"]))
            await asyncio.sleep(0.001)
            job.cancel()
            try:
                await job
            except asyncio.CancelledError:
                count("cancelled")
            except BusyError:
                count("busy")
            check("after cancel", len(index) in lens)

    threads = [threading.Thread(target=writer)] + [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    async def main():
        await asyncio.wait_for(asyncio.gather(tasks(), tasks()), seconds + 60)

    asyncio.run(main())
    for t in threads:
        t.join()
    index.remove_path(b)
    assert state() == only_a, "the index did not end as a committed state"
    print(counts)
    assert not errors, sorted(set(errors))
    assert all(counts[k] > 0 for k in ("ingest", "remove", "len", "sources", "search", "hybrid", "async")), counts
    print("ok")
    """
)


def test_searches_during_ingestion_neither_hang_nor_see_part_of_it() -> None:
    a = CORPUS / "modules" / "s3"
    b = CORPUS / "modules" / "iam"
    done = subprocess.run(
        [sys.executable, "-c", STRESS, str(a), str(b), "3"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert done.stdout.strip().endswith("ok"), done.stdout
    assert "Task exception was never retrieved" not in done.stderr, done.stderr
