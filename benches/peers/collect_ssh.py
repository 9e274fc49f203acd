"""100 commands over SSH, three ways, in one process run, against the same
asyncssh server on 127.0.0.1 (tests/servers/ssh_server.py, generated keys):

- infrarag: a CollectionService SSH host, one connection reused, a custom
  method running `echo hi` collected 100 times (TTL 0, one after another);
- OpenSSH: one `ssh host echo hi` process per command (what scripts do);
- asyncssh: one connection, `conn.run("echo hi")` 100 times.

Prints the wall time of each and the ratios.

    make bench-peers          # or: .venv/bin/python benches/peers/collect_ssh.py
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncssh

from infrarag.collect import CollectionService, Collector

N = 100
SERVER = Path(__file__).resolve().parents[2] / "tests" / "servers" / "ssh_server.py"


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="infrarag-ssh-bench-"))
    keys = folder / "keys"
    server = subprocess.Popen(
        [sys.executable, str(SERVER), "--host-key", str(folder / "host_key"), "--keys", str(keys)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    ready = json.loads(server.stdout.readline())
    port, host_key = ready["ports"][0], ready["host_key"]
    known = folder / "known_hosts"
    known.write_text(f"[127.0.0.1]:{port} {host_key}\n")
    key = str(keys / "id_ed25519")
    try:
        hello = Collector("hello", [["echo", "hi"]], lambda out: [{"kind": "hello", "data": out[0]["stdout"]}])
        service = CollectionService(
            hosts={"box": {"hostname": "127.0.0.1", "port": port, "user": "bench", "identity_files": [key],
                           "agent": False, "known_hosts": str(known)}},
            collectors=[hello],
            ttl={"hello": 0},
        )
        service.collect("box", "hello")  # connects: not measured, as asyncssh's connect is not
        start = time.perf_counter()
        for _ in range(N):
            assert service.collect("box", "hello")["records"][0]["data"] == "hi\n"
        ours = time.perf_counter() - start

        ssh = shutil.which("ssh")
        openssh = float("nan")
        if ssh:
            argv = [ssh, "-p", str(port), "-i", key, "-o", "BatchMode=yes", "-o", f"UserKnownHostsFile={known}",
                    "-o", "StrictHostKeyChecking=yes", "-o", "IdentitiesOnly=yes", "bench@127.0.0.1", "echo", "hi"]
            start = time.perf_counter()
            for _ in range(N):
                assert subprocess.run(argv, capture_output=True, text=True, check=True).stdout == "hi\n"
            openssh = time.perf_counter() - start

        async def with_asyncssh() -> float:
            async with asyncssh.connect("127.0.0.1", port, username="bench", client_keys=[key],
                                        known_hosts=str(known)) as conn:
                start = time.perf_counter()
                for _ in range(N):
                    assert (await conn.run("echo hi", check=True)).stdout == "hi\n"
                return time.perf_counter() - start

        theirs = asyncio.run(with_asyncssh())
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.kill()
        server.wait()
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{N} commands over SSH (wall time, same asyncssh server)")
    print(f"  infrarag, one connection     {ours * 1000:8.1f} ms")
    print(f"  OpenSSH, a process each      {openssh * 1000:8.1f} ms   ({openssh / ours:.1f}x ours)")
    print(f"  asyncssh, one connection     {theirs * 1000:8.1f} ms   ({theirs / ours:.1f}x ours)")


if __name__ == "__main__":
    main()
