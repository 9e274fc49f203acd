"""A PostgreSQL + pgvector server for the peer benchmarks: INFRARAG_TEST_PG's,
or one started by tests/servers/pg_server.py for the run; and a proxy in
front of it that delays each direction, as a network between an
application and its database does.

    python pg.py delay HOST PORT MS   # the proxy alone: prints its port, serves until stdin closes"""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit, urlunsplit


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


@contextmanager
def delayed(url: str, ms: float) -> Iterator[str]:
    """The URL of a proxy to `url`'s server that holds every byte `ms`
    milliseconds in each direction, run in its own process so that it
    does not share the benchmark's interpreter."""
    parts = urlsplit(url)
    proxy = subprocess.Popen([sys.executable, __file__, "delay", parts.hostname or "127.0.0.1",
                              str(parts.port or 5432), str(ms)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proxy.stdin is not None and proxy.stdout is not None
    try:
        port = int(proxy.stdout.readline())
        netloc = parts.netloc.rsplit("@", 1)[0] + f"@127.0.0.1:{port}" if "@" in parts.netloc else f"127.0.0.1:{port}"
        yield urlunsplit(parts._replace(netloc=netloc))
    finally:
        proxy.stdin.close()
        proxy.wait()


def _serve_delayed(host: str, port: int, ms: float) -> None:
    """Accepts on a free port (printed), forwarding each connection to
    host:port with every read held `ms` before it is written on."""
    delay = ms / 1000

    def pump(src: socket.socket, dst: socket.socket) -> None:
        held: queue.Queue[tuple[float, bytes]] = queue.Queue()

        def read() -> None:
            while True:
                try:
                    data = src.recv(1 << 16)
                except OSError:
                    data = b""
                held.put((time.perf_counter() + delay, data))
                if not data:
                    return

        def write() -> None:
            while True:
                due, data = held.get()
                wait = due - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                try:
                    if not data:
                        dst.shutdown(socket.SHUT_WR)
                        return
                    dst.sendall(data)
                except OSError:
                    return

        threading.Thread(target=read, daemon=True).start()
        threading.Thread(target=write, daemon=True).start()

    server = socket.create_server(("127.0.0.1", 0))
    print(server.getsockname()[1], flush=True)

    def accept() -> None:
        while True:
            client, _ = server.accept()
            upstream = socket.create_connection((host, port))
            for s in (client, upstream):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            pump(client, upstream)
            pump(upstream, client)

    threading.Thread(target=accept, daemon=True).start()
    sys.stdin.read()


if __name__ == "__main__" and sys.argv[1:2] == ["delay"]:
    _serve_delayed(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
