"""A PostgreSQL + pgvector server for the peer benchmarks: INFRARAG_TEST_PG's,
or one started by tests/servers/pg_server.py for the run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def postgres_url() -> Iterator[str]:
    """The URL of a server with pgvector, stopped afterwards if started here."""
    url = os.environ.get("INFRARAG_TEST_PG")
    if url:
        yield url
        return
    script = Path(__file__).resolve().parents[2] / "tests" / "servers" / "pg_server.py"
    server = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert server.stdin is not None and server.stdout is not None
    try:
        yield json.loads(server.stdout.readline())["url"]
    finally:
        server.stdin.close()
        server.wait()
