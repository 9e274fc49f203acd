"""Collections over SSH against a real server (asyncssh, started here on
127.0.0.1 by ``tests/servers/ssh_server.py`` with generated keys)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

import infrarag
from infrarag.collect import CollectionService, Collector, SshHost

SERVER = Path(__file__).resolve().parents[2] / "tests" / "servers" / "ssh_server.py"


class Server:
    def __init__(self, folder: Path, ports: int) -> None:
        self.keys = folder / "keys"
        self.process = subprocess.Popen(
            [sys.executable, str(SERVER), "--ports", str(ports), "--host-key", str(folder / "host_key"), "--keys", str(self.keys)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the SSH test server did not start; `make test` installs asyncssh in .venv")
        ready = json.loads(line)
        self.ports: list[int] = ready["ports"]
        self.host_key: str = ready["host_key"]

    def host(self, port: int, key: str = "id_ed25519") -> SshHost:
        return {
            "hostname": "127.0.0.1",
            "port": port,
            "user": "tester",
            "identity_files": [str(self.keys / key)],
            "agent": False,
            "host_key": self.host_key,
        }

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.kill()
        self.process.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = Server(tmp_path_factory.mktemp("ssh"), 2)
    yield s
    s.stop()


def test_system_over_ssh_is_typed_cached_and_audited(server: Server) -> None:
    service = CollectionService(hosts={"box": server.host(server.ports[0])}, system_interval=0.05)
    assert service.hosts == ["box", "localhost"]
    done = service.collect("box", "system", actor="pytest", reason="ssh")
    kinds = {r["kind"] for r in done["records"]}
    assert {"cpu", "memory", "load", "uptime", "filesystem"} <= kinds
    assert service.collect("box", "system")["cached"]
    audit = service.audit(host="box")
    assert [e["outcome"] for e in audit] == ["collected", "cached"]
    assert "cat /proc/meminfo" in audit[0]["commands"]


def test_host_key_and_auth_failures_are_typed(server: Server, tmp_path: Path) -> None:
    stranger = (server.keys / "id_stranger.pub").read_text().strip()
    impostor = server.host(server.ports[0])
    impostor["host_key"] = stranger
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    unknown = server.host(server.ports[0])
    del unknown["host_key"]
    unknown["known_hosts"] = str(empty)
    service = CollectionService(
        hosts={
            "impostor": impostor,
            "unknown": unknown,
            "stranger": server.host(server.ports[0], "id_stranger"),
            "locked": server.host(server.ports[0], "id_encrypted"),
        },
        retries=3,
        backoff=0.01,
    )
    for name, word in [("impostor", "pinned"), ("unknown", "unknown")]:
        with pytest.raises(infrarag.HostKeyError) as caught:
            service.collect(name, "system")
        e = caught.value
        assert (e.code, e.host, e.method) == ("HOST_KEY_ERROR", name, "system")
        assert e.fingerprint is not None and e.fingerprint.startswith("SHA256:")
        assert word in str(e)
    for name in ["stranger", "locked"]:
        with pytest.raises(infrarag.AuthError) as auth:
            service.collect(name, "system")
        assert auth.value.code == "AUTH_ERROR" and auth.value.host == name
    assert "encrypted" in str(auth.value)
    assert isinstance(auth.value, PermissionError)
    # Audited once each: never retried.
    assert len(service.audit()) == 4
    unlocked = server.host(server.ports[0], "id_encrypted")
    unlocked["passphrase"] = "correct horse"
    ok = CollectionService(hosts={"unlocked": unlocked}, system_interval=0.05)
    assert ok.collect("unlocked", "system")["records"]


def test_hosts_from_an_openssh_config_through_a_jump_host(server: Server, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    known.write_text("".join(f"[127.0.0.1]:{p} {server.host_key}\n" for p in server.ports))
    config = tmp_path / "config"
    config.write_text(
        f"Host bastion\n  HostName 127.0.0.1\n  Port {server.ports[0]}\n"
        f"Host target\n  HostName 127.0.0.1\n  Port {server.ports[1]}\n  ProxyJump bastion\n"
        f"Host *\n  User tester\n  IdentityFile {server.keys / 'id_rsa'}\n  IdentitiesOnly yes\n"
        f"  UserKnownHostsFile {known}\n"
    )
    stats = Collector("stats", [["infrarag-test-stats"]], lambda out: [{"kind": "stats", "data": json.loads(out[0]["stdout"])}])
    service = CollectionService(hosts={"target": "target", "bastion": "bastion"}, ssh_config=config, collectors=[stats], ttl={"stats": 0})
    jump = str(server.ports[0])
    before = service.collect("bastion", "stats")["records"][0]["data"]["forwarded"].get(jump, 0)
    assert service.collect("target", "stats")["records"][0]["data"]["max_sessions"][str(server.ports[1])] >= 1
    after = service.collect("bastion", "stats")["records"][0]["data"]["forwarded"][jump]
    assert after == before + 1


def test_one_service_serves_async_callers_over_ssh(server: Server) -> None:
    sleepy = Collector("sleepy", [["sh", "-c", "sleep 0.2; echo ok"]], lambda out: [{"kind": "ok", "data": out[0]["stdout"].strip()}])
    service = CollectionService(
        hosts={"a": server.host(server.ports[0]), "b": server.host(server.ports[1])},
        collectors=[sleepy],
        ttl={"sleepy": 0},
        max_per_host=2,
    )

    async def main() -> list[Any]:
        calls = [service.collect_async(h, "sleepy", actor="api", reason=str(i)) for i in range(6) for h in ("a", "b")]
        return list(await asyncio.gather(*calls))

    done = asyncio.run(main())
    assert [d["records"][0]["data"] for d in done] == ["ok"] * 12
    assert len(service.audit()) == 12


def test_bad_host_options_are_invalid_arguments() -> None:
    with pytest.raises(infrarag.InvalidArgumentError, match="hostname"):
        CollectionService(hosts={"x": {"port": 22}})  # type: ignore[dict-item]
    with pytest.raises(infrarag.InvalidArgumentError, match="unknown field"):
        CollectionService(hosts={"x": {"hostname": "h", "prot": 22}})  # type: ignore[dict-item]
    with pytest.raises(infrarag.InvalidArgumentError, match="host_key"):
        CollectionService(hosts={"x": {"hostname": "h", "host_key": "not a key"}})
