"""Retrieval end to end on ../shared/corpus/modules (the six
terraform-aws-modules repos), in one process run, with BM25 against bm25s
on the same chunks:

- ingestion with the default chunker and offline embedder: files and chunks
  per second, in memory and into an index file, and reopening that file;
- query latency p50 / p99 per mode (hybrid, vector, lexical), k = 10;
- BM25: bm25s (its default English tokenizer, no stemmer) against
  infrarag's lexical mode on the chunks infrarag makes (text + summary):
  index time, query p50 / p99, and how much of bm25s's top 10 ours shares;
- PostgreSQL + pgvector (a server from tests/servers/pg_server.py, or
  INFRARAG_TEST_PG's): ingestion against the index file's; opening, p50 /
  p99 per mode with 1 client and hybrid with 8 concurrent clients, with
  BM25 in the database (just ingested, and vacuumed) and with the chunks
  cached in the process; filtered p50 / p99 with BM25 in the database;
  what committing and removing one file costs; p50 per mode with the
  server a network round trip away (a proxy delaying each direction);
  and the peak memory of a process that opens the index and searches
  once, in each mode.

    make bench-peers          # installs the peers, builds a release wheel, runs this
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from infrarag.chunk import Chunker
from infrarag.index import Index, Mode
from pg import delayed, postgres_url

CORPUS = Path(os.environ.get("INFRARAG_CORPUS", Path(__file__).resolve().parents[3] / "shared" / "corpus"))
QUERIES = [
    "encrypt bucket with KMS",
    "VPC flow logs to CloudWatch",
    "node group instance types",
    "database backup retention",
    "security group ingress rules",
    "lambda environment variables",
    "IAM role assume policy",
    "private subnets NAT gateway",
    "bucket versioning and lifecycle",
    "cluster endpoint public access",
    "parameter group family",
    "route table associations",
    "CloudWatch log group retention in days",
    "s3 bucket public access block",
    "dead letter queue",
    "multi az deployment",
    "aws_eks_addon",
    "var.create_bucket",
    "tags merge",
    "outputs of the vpc id",
]
REPEAT = 25


def percentiles(samples: list[float]) -> tuple[float, float]:
    s = sorted(samples)
    return s[len(s) // 2] * 1e3, s[min(len(s) - 1, int(len(s) * 0.99))] * 1e3


def timed_queries(run: object, queries: list[str]) -> list[float]:
    out = []
    for _ in range(REPEAT):
        for q in queries:
            t = time.perf_counter()
            run(q)  # type: ignore[operator]
            out.append(time.perf_counter() - t)
    return out


def main() -> None:
    root = CORPUS / "modules"
    print(f"corpus: {root}")

    t = time.perf_counter()
    index = Index()
    report = index.add_path(root)
    mem_s = time.perf_counter() - t
    files, chunks = report["added"], report["chunks"]
    print(f"\ningest in memory: {files} files, {chunks} chunks in {mem_s:.2f} s "
          f"({files / mem_s:.0f} files/s, {chunks / mem_s:.0f} chunks/s)")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "idx"
        t = time.perf_counter()
        with Index.open(path) as stored:
            stored.add_path(root)
        file_s = time.perf_counter() - t
        size = path.stat().st_size / 2**20
        print(f"ingest to a file: {file_s:.2f} s ({files / file_s:.0f} files/s), file {size:.0f} MiB")
        t = time.perf_counter()
        reopened = Index.open(path)
        open_s = time.perf_counter() - t
        t = time.perf_counter()
        reopened.search(QUERIES[0])
        first_s = time.perf_counter() - t
        print(f"reopen: {open_s * 1e3:.0f} ms, first hybrid query {first_s * 1e3:.1f} ms (graphs still building)")
        reopened.close()

    postgres(root, files, file_s)

    print(f"\nquery latency, k=10, {len(QUERIES)} queries x {REPEAT}:")
    one_client(index, ":")

    import bm25s  # type: ignore[import-untyped]

    dir_chunks = Chunker(400, 60).chunk_dir(root).chunks
    texts = [f"{c.text}\n{c.summary}" for c in dir_chunks]
    # chunk_dir names files relative to the root; the index, root/relative.
    ids = [(c.path, c.start_byte) for c in dir_chunks]
    t = time.perf_counter()
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)
    bm25s_index_s = time.perf_counter() - t

    def bm25s_top(q: str) -> list[tuple[str, int]]:
        docs, _ = retriever.retrieve(bm25s.tokenize([q], stopwords="en", show_progress=False), k=10,
                                     show_progress=False, n_threads=1)
        return [ids[int(d)] for d in docs[0]]

    prefix = len(str(root)) + 1

    def ours_top(q: str) -> list[tuple[str, int]]:
        return [(h.chunk.path[prefix:], h.chunk.start_byte) for h in index.search(q, 10, mode="lexical")]

    b50, b99 = percentiles(timed_queries(bm25s_top, QUERIES))
    o50, o99 = percentiles(timed_queries(ours_top, QUERIES))
    shared = statistics.mean(len(set(bm25s_top(q)) & set(ours_top(q))) / 10 for q in QUERIES)
    print(f"\nBM25 over the same {len(texts)} chunks:")
    print(f"  bm25s    index {bm25s_index_s:.2f} s   query p50 {b50:.2f} ms  p99 {b99:.2f} ms")
    print(f"  infrarag (indexed during ingestion)   query p50 {o50:.2f} ms  p99 {o99:.2f} ms"
          f"   p50 ratio bm25s/infrarag {b50 / o50:.1f}x")
    print(f"  top-10 shared with bm25s: {shared:.0%} (tokenizers differ: ours splits identifiers and stems)")


def postgres(root: Path, files: int, file_s: float) -> None:
    """Ingestion and query latency on PostgreSQL + pgvector: BM25 in the
    database (the process holds no chunk) right after ingestion and once
    vacuumed (as autovacuum leaves it within a minute), then with the
    chunks cached in the process."""
    import psycopg

    with postgres_url() as url:
        t = time.perf_counter()
        with Index.postgres(url) as stored:
            stored.add_path(root)
        pg_s = time.perf_counter() - t
        print(f"\ningest to PostgreSQL: {pg_s:.2f} s ({files / pg_s:.0f} files/s), "
              f"{pg_s / file_s:.2f}x the index file's time (goal: at most 2x)")
        for cache in (False, True):
            print(f"  memory of a process that opens it and searches once, cache_chunks={cache}: "
                  f"{process_rss(url, cache):.0f} MiB peak RSS")
        runs: list[tuple[str, bool]] = [("BM25 in the database, just ingested", False),
                                        ("BM25 in the database, vacuumed", False),
                                        ("chunks cached in the process", True)]
        for label, cache in runs:
            if label.endswith("vacuumed"):
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute("VACUUM ANALYZE infrarag_postings, infrarag_chunks, infrarag_term_postings")
            t = time.perf_counter()
            shared = Index.postgres(url, cache_chunks=cache)
            print(f"{label}: open {(time.perf_counter() - t) * 1e3:.0f} ms")
            one_client(shared, ", 1 client: ")

            def client(_: int) -> list[float]:
                return timed_queries(lambda q: shared.search(q, 10), QUERIES)

            busy = busy_seconds()
            with ThreadPoolExecutor(8) as pool:
                samples = [x for xs in pool.map(client, range(8)) for x in xs]
            cpu = (busy_seconds() - busy) / len(samples) * 1e3
            p50, p99 = percentiles(samples)
            print(f"    hybrid, 8 clients: p50 {p50:.2f} ms  p99 {p99:.2f} ms (goal: p50 under 10 ms); "
                  f"{os.cpu_count()} cores; CPU per query {cpu:.2f} ms, server and client")
            shared.close()
        filtered_and_commits(url, root)
        over_a_network(url)


def busy_seconds() -> float:
    """CPU time the whole machine has spent busy since boot (user, nice,
    system, irq, softirq in /proc/stat): with 8 clients on a small machine
    the CPUs are saturated, so p50 follows the CPU each query costs, which
    varies less between runs than the wall clock does."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (fields[0] + fields[1] + fields[2] + fields[5] + fields[6]) / os.sysconf("SC_CLK_TCK")


def one_client(index: Index, label: str) -> None:
    """p50 / p99 of the queries, one at a time, in each mode."""
    modes: tuple[Mode, ...] = ("hybrid", "vector", "lexical")
    for mode in modes:
        def one(q: str, mode: Mode = mode) -> object:
            return index.search(q, 10, mode=mode)
        p50, p99 = percentiles(timed_queries(one, QUERIES))
        print(f"  {mode:>8}{label} p50 {p50:.2f} ms  p99 {p99:.2f} ms")


def filtered_and_commits(url: str, root: Path) -> None:
    """Filtered query latency with BM25 in the database, and what a commit
    of one file (s3's main.tf, edited each round) and its removal cost."""
    stored = Index.postgres(url)
    print("BM25 in the database, filtered, 1 client:")
    for name, prefix, block in (("path_prefix one repository", f"{root / 'vpc'}/", None),
                                ("block_type resource", None, "resource")):
        filtered_modes: tuple[Mode, ...] = ("lexical", "hybrid")
        for mode in filtered_modes:
            def one(q: str, mode: Mode = mode, prefix: str | None = prefix, block: str | None = block) -> object:
                return stored.search(q, 10, mode=mode, path_prefix=prefix, block_type=block)
            p50, p99 = percentiles(timed_queries(one, QUERIES))
            print(f"  {name}, {mode:>8}: p50 {p50:.2f} ms  p99 {p99:.2f} ms")
    source = (root / "s3" / "main.tf").read_text()
    with tempfile.TemporaryDirectory() as tmp:
        main = Path(tmp) / "main.tf"
        commits, removals = [], []
        for i in range(8):
            main.write_text(f"{source}\n# edit {i}\n")
            t = time.perf_counter()
            stored.add_path(tmp)
            commits.append(time.perf_counter() - t)
            if i % 2:
                t = time.perf_counter()
                stored.remove_path(tmp)
                removals.append(time.perf_counter() - t)
    print(f"one-file commit (s3's main.tf): median {statistics.median(commits) * 1e3:.0f} ms; "
          f"its removal: median {statistics.median(removals) * 1e3:.0f} ms")
    stored.close()


def over_a_network(url: str) -> None:
    """1-client p50 per mode through a proxy that delays each direction by
    0.5 ms, as a network between an application and its database does:
    each request a search makes costs a round trip."""
    import psycopg

    with delayed(url, 0.5) as far:
        with psycopg.connect(far) as conn:
            trips = []
            for _ in range(50):
                t = time.perf_counter()
                conn.execute("SELECT 1").fetchall()
                trips.append(time.perf_counter() - t)
        stored = Index.postgres(far)
        print(f"BM25 in the database, 1 client, the server {statistics.median(trips) * 1e3:.2f} ms away "
              "(SELECT 1's median round trip through a proxy delaying each direction 0.5 ms):")
        one_client(stored, ":")
        stored.close()


def process_rss(url: str, cache: bool) -> float:
    """Peak RSS, in MiB, of a fresh Python process that opens the index on
    PostgreSQL and runs one hybrid search."""
    # VmHWM, not ru_maxrss: the latter keeps the forking parent's peak
    # across exec.
    script = ("import sys\nfrom infrarag.index import Index\n"
              "i = Index.postgres(sys.argv[1], cache_chunks=sys.argv[2] == '1')\ni.search('encrypt bucket with KMS')\n"
              "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))")
    out = subprocess.run([sys.executable, "-c", script, url, "1" if cache else "0"],
                         check=True, capture_output=True, text=True).stdout
    return int(out.split()[-1]) / 1024


if __name__ == "__main__":
    main()
