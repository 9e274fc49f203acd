"""A real SSH server for the collectors' tests, on asyncssh, on 127.0.0.1.

It listens on `--ports` ports (each stands for one host), accepts the client
keys it generates into `--keys` (Ed25519, ECDSA, RSA, and an Ed25519 key
encrypted with the passphrase `correct horse`; `id_stranger` is generated but
not accepted), and runs each command with `/bin/sh -c`. It prints one JSON
line when ready: the ports and its host key in OpenSSH form. It forwards
direct-tcpip channels, so one port can be the jump host for another.

Two commands are its own, for the fault tests:
- `infrarag-test-stats`: the most sessions seen open at once, per port, the
  connections accepted and the channels forwarded, per port;
- `infrarag-test-drop`: writes a line, then drops the whole connection.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from typing import Any

import asyncssh

open_sessions: dict[int, int] = {}
max_sessions: dict[int, int] = {}
connections: dict[int, int] = {}
forwarded: dict[int, int] = {}
PASSPHRASE = "correct horse"


class Server(asyncssh.SSHServer):
    def __init__(self, port: int) -> None:
        self.port = port
        self.conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        connections[self.port] = connections.get(self.port, 0) + 1

    def connection_requested(
        self, dest_host: str, dest_port: int, orig_host: str, orig_port: int
    ) -> bool:
        forwarded[self.port] = forwarded.get(self.port, 0) + 1
        return True


async def pump(source: Any, sink: Any) -> None:
    while True:
        chunk = await source.read(65536)
        if not chunk:
            return
        sink.write(chunk)
        await sink.drain()


async def feed(process: asyncssh.SSHServerProcess[bytes], stdin: Any) -> None:
    try:
        while True:
            chunk = await process.stdin.read(65536)
            if not chunk:
                break
            stdin.write(chunk)
            await stdin.drain()
    except (BrokenPipeError, ConnectionResetError, asyncssh.Error):
        pass
    finally:
        stdin.close()


async def run(process: asyncssh.SSHServerProcess[bytes], port: int) -> None:
    command = process.command or ""
    if command == "infrarag-test-stats":
        stats = {
            "max_sessions": max_sessions,
            "connections": connections,
            "forwarded": forwarded,
        }
        process.stdout.write(json.dumps(stats).encode())
        process.exit(0)
        return
    if command == "infrarag-test-drop":
        process.stdout.write(b"partial\n")
        await asyncio.sleep(0.2)
        process.channel.get_connection().abort()
        return
    child = await asyncio.create_subprocess_exec(
        "/bin/sh",
        "-c",
        command,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    feeding = asyncio.create_task(feed(process, child.stdin))
    output = asyncio.ensure_future(
        asyncio.gather(
            pump(child.stdout, process.stdout), pump(child.stderr, process.stderr)
        )
    )
    closed = asyncio.ensure_future(process.wait_closed())
    try:
        await asyncio.wait({output, closed}, return_when=asyncio.FIRST_COMPLETED)
        if output.done():
            status = await child.wait()
            process.exit(status if status >= 0 else 128 - status)
    finally:
        for task in (feeding, output, closed):
            task.cancel()
        await asyncio.gather(feeding, output, closed, return_exceptions=True)
        if child.returncode is None:
            # The client closed the channel (its timeout fired): end the
            # command's whole process group, as sshd's SIGHUP would.
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            await child.wait()


def handler(port: int) -> Any:
    async def handle(process: asyncssh.SSHServerProcess[bytes]) -> None:
        open_sessions[port] = open_sessions.get(port, 0) + 1
        max_sessions[port] = max(max_sessions.get(port, 0), open_sessions[port])
        counted = True

        def release() -> None:
            nonlocal counted
            if counted:
                counted = False
                open_sessions[port] -= 1

        # A session ends for the client when its exit status arrives, and
        # the client may open the next one at once: stop counting it then,
        # not when this handler gets round to returning.
        exit_ = process.exit

        def exit_and_release(status: int) -> None:
            release()
            exit_(status)

        process.exit = exit_and_release  # type: ignore[method-assign]
        try:
            await run(process, port)
        except (asyncssh.Error, BrokenPipeError, ConnectionResetError):
            pass
        finally:
            release()

    return handle


def make_keys(folder: str) -> str:
    """Writes the client keys (once) and returns the authorized_keys path."""
    os.makedirs(folder, exist_ok=True)
    kinds = {
        "id_ed25519": ("ssh-ed25519", None),
        "id_ecdsa": ("ecdsa-sha2-nistp256", None),
        "id_rsa": ("ssh-rsa", None),
        "id_encrypted": ("ssh-ed25519", PASSPHRASE),
        "id_stranger": ("ssh-ed25519", None),
    }
    accepted = []
    for name, (algorithm, passphrase) in kinds.items():
        path = os.path.join(folder, name)
        if not os.path.exists(path):
            key = asyncssh.generate_private_key(algorithm)
            key.write_private_key(path, passphrase=passphrase)
            key.write_public_key(path + ".pub")
            os.chmod(path, 0o600)
        if name != "id_stranger":
            with open(path + ".pub") as f:
                accepted.append(f.read().strip())
    authorized = os.path.join(folder, "authorized_keys")
    with open(authorized, "w") as f:
        f.write("\n".join(accepted) + "\n")
    return authorized


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ports", type=int, default=1)
    parser.add_argument("--host-key", required=True)
    parser.add_argument("--keys", required=True)
    args = parser.parse_args()
    authorized = make_keys(args.keys)
    if os.path.exists(args.host_key):
        key = asyncssh.read_private_key(args.host_key)
    else:
        key = asyncssh.generate_private_key("ssh-ed25519")
        key.write_private_key(args.host_key)
    ports = []
    for _ in range(args.ports):
        holder: dict[str, int] = {}
        listener = await asyncssh.listen(
            "127.0.0.1",
            0,
            server_host_keys=[key],
            authorized_client_keys=authorized,
            server_factory=lambda h=holder: Server(h["port"]),
            process_factory=lambda p, h=holder: handler(h["port"])(p),
            encoding=None,
            keepalive_interval=0,
        )
        holder["port"] = listener.sockets[0].getsockname()[1]
        ports.append(holder["port"])
    public = key.export_public_key("openssh").decode().strip()
    print(json.dumps({"ports": ports, "host_key": public}), flush=True)
    # The test harness ends the server by closing its stdin.
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(main())
