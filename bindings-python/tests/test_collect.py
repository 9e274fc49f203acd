"""infrarag.collect from Python: real collections from this machine, the
cache and the audit trail, a custom method, typed failures, one service
shared by concurrent asyncio tasks, and the GIL released meanwhile."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
import threading
import time
from typing import Any

import pytest

import infrarag
from infrarag.collect import CollectionService, Collector, parse


def test_system_and_ports_from_localhost_are_typed_cached_and_audited() -> None:
    service = CollectionService(system_interval=0.05)
    system = service.collect("localhost", "system", actor="test", reason="why")
    kinds = {r["kind"] for r in system["records"]}
    assert {"cpu", "memory", "load", "uptime", "filesystem", "disk_io", "net_io"} <= kinds
    memory = next(r["data"] for r in system["records"] if r["kind"] == "memory")
    assert memory["total_bytes"] >= memory["available_bytes"] > 0
    assert system["taken_at"].endswith("Z") and not system["cached"]
    ports = service.collect("localhost", "ports")
    assert all(r["kind"] == "socket" for r in ports["records"])
    again = service.collect("localhost", "system")
    assert again["cached"] and again["records"] == system["records"]

    audit = service.audit()
    assert [e["outcome"] for e in audit] == ["collected", "collected", "cached"]
    assert audit[0]["actor"] == "test" and audit[0]["reason"] == "why"
    assert audit[0]["commands"][:2] == ["cat /proc/stat", "cat /proc/stat"]
    assert audit[0]["records_written"] == len(system["records"])
    assert len(service.latest("localhost", "system")) == len(system["records"])
    assert service.audit(method="ports")[0]["method"] == "ports"
    assert service.prune(audit[-1]["time_ms"] + 1) == 3 and service.audit() == []


def test_a_custom_method_runs_argv_and_parses_in_python() -> None:
    hostile = "it's $(echo no); rm -rf ~"

    def parse(outputs: list[Any]) -> list[Any]:
        return [{"kind": "echo", "data": {"text": outputs[0]["stdout"], "status": outputs[0]["status"]}}]

    def broken(outputs: list[Any]) -> list[Any]:
        raise ValueError("no version line")

    service = CollectionService(
        collectors=[
            Collector("echo", [["printf", "%s", hostile]], parse),
            Collector("broken", [["true"]], broken),
            Collector("missing", [["infrarag-no-such-command"]], parse),
        ]
    )
    assert service.methods == ["broken", "containers", "drives", "echo", "logs", "missing", "ports", "proxy", "system", "zfs"]
    done = service.collect("localhost", "echo")
    assert done["records"] == [{"kind": "echo", "data": {"text": hostile, "status": 0}}]

    with pytest.raises(infrarag.OutputError) as bad:
        service.collect("localhost", "broken")
    assert bad.value.host == "localhost" and bad.value.method == "broken" and bad.value.command == "true"
    assert "no version line" in str(bad.value) and isinstance(bad.value, ValueError)

    with pytest.raises(infrarag.CommandError) as missing:
        service.collect("localhost", "missing")
    assert missing.value.status is None and "infrarag-no-such-command" in (missing.value.stderr or "")
    assert [e["outcome"] for e in service.audit()][-2:] == ["failed", "failed"]
    assert service.records(method="broken") == []


def test_unknown_names_are_refused() -> None:
    service = CollectionService()
    with pytest.raises(infrarag.InvalidArgumentError) as e:
        service.collect("localhost", "teleport")
    assert e.value.argument == "method" and "ports, proxy, system" in str(e.value)
    with pytest.raises(infrarag.InvalidArgumentError):
        CollectionService(ttl={"system": -1.0})


def test_one_service_serves_concurrent_tasks_and_releases_the_gil() -> None:
    service = CollectionService(system_interval=0.3)
    ticks = 0
    stop = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    counter = threading.Thread(target=count)
    counter.start()

    async def many() -> list[Any]:
        tasks = (service.collect_async("localhost", "system", actor=f"task{i}") for i in range(5))
        return list(await asyncio.gather(*tasks))

    try:
        results = asyncio.run(many())
    finally:
        stop.set()
        counter.join()
    assert len({id(r) for r in results}) == 5
    outcomes = sorted(e["outcome"] for e in service.audit())
    assert outcomes.count("collected") == 1 and len(outcomes) == 5
    assert ticks > 50, "the GIL was held during the collection"


def test_a_store_file_keeps_the_audit_trail_across_services(tmp_path: Any) -> None:
    path = tmp_path / "records.db"
    first = CollectionService(store=path)
    first.collect("localhost", "ports", actor="before")
    with pytest.raises(infrarag.StorageError):
        CollectionService(store=path)  # locked while the first is open
    del first
    import gc

    gc.collect()
    second = CollectionService(store=path)
    second.collect("localhost", "ports", actor="after")
    audit = second.audit()
    assert [e["actor"] for e in audit] == ["before", "after"] and audit[1]["id"] == audit[0]["id"] + 1
    assert len(second.records()) == sum(e["records_written"] for e in audit)


def test_parse_reads_output_collected_elsewhere_and_names_the_bad_line() -> None:
    from infrarag.collect import parse

    text = "MemTotal:       24683568 kB\nMemFree:        18746388 kB\n"
    [memory] = parse("meminfo", text)
    assert memory["kind"] == "memory" and memory["data"]["total_bytes"] == 24683568 * 1024
    with pytest.raises(infrarag.OutputError) as bad:
        parse("net_dev", "h1\nh2\n  lo: 1 2 3\n")
    assert bad.value.line == 3 and bad.value.method == "net_dev"
    with pytest.raises(infrarag.InvalidArgumentError):
        parse("teleport", "")  # type: ignore[arg-type]


def test_logs_take_arguments_and_refuse_unknown_ones() -> None:
    service = CollectionService()
    with pytest.raises(infrarag.InvalidArgumentError, match="colour"):
        service.collect("localhost", "logs", args={"colour": "red"})
    with pytest.raises(infrarag.InvalidArgumentError, match="priority"):
        service.collect("localhost", "logs", args={"priority": "loud"})
    with pytest.raises(infrarag.InvalidArgumentError, match="takes no arguments"):
        service.collect("localhost", "system", args={"unit": "x"})
    assert service.audit() == []
    line = '{"__REALTIME_TIMESTAMP":"1796228239065019","PRIORITY":"3","MESSAGE":[104,105,255],"__CURSOR":"s=1"}'
    [entry] = parse("journal", line)
    assert entry["data"]["message"] == "hi\ufffd" and entry["data"]["priority"] == 3


def test_typed_record_data_has_exactly_the_fields_collected() -> None:
    """Each typed kind's TypedDict names the keys real records carry, no
    more and no fewer (mypy relies on it; this keeps it true)."""
    from typing import cast

    from infrarag.types import RECORD_DATA, MemoryData

    import socket

    service = CollectionService(system_interval=0.05)
    seen: dict[str, dict[str, Any]] = {}
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        for method in ["system", "ports", "logs"]:
            for r in service.collect("localhost", method)["records"]:
                seen.setdefault(r["kind"], r["data"])
    line = '{"__REALTIME_TIMESTAMP":"1796228239065019","PRIORITY":"3","MESSAGE":"x","__CURSOR":"s=1"}'
    seen["log_entry"] = parse("journal", line)[0]["data"]
    with open("/proc/stat") as f:
        seen["cpu_times"] = parse("proc_stat", f.read())[0]["data"]
    corpus = Path(os.environ.get("INFRARAG_CORPUS", Path(__file__).resolve().parents[3] / "shared" / "corpus")) / "collectors"
    for kind, file in [
        ("smartctl", "smartctl/scrutiny-smart-ata.json"),
        ("zpool_status", "zpool-status/generic-zpool-status-v4.out"),
        ("zfs_list_json", "zfs/zfs-list-j-t-filesystem-snapshot.json"),
        ("docker_inspect", "docker/docker-inspect-all.json"),
        ("nginx_site", "swag/grafana.subdomain.conf.sample"),
    ]:
        for r in parse(kind, (corpus / file).read_text()):  # type: ignore[arg-type]
            seen.setdefault(r["kind"], r["data"])
    for kind, typed in RECORD_DATA.items():
        assert set(seen[kind]) == set(typed.__annotations__), kind
    # One level down too: a drive's status and attributes, a pool's vdevs,
    # a container's ports, a site's upstreams.
    from infrarag.types import ContainerPort, SmartAttribute, SmartStatus, Upstream, Vdev

    assert set(seen["drive"]["status"]) == set(SmartStatus.__annotations__)
    assert set(seen["drive"]["attributes"][0]) == set(SmartAttribute.__annotations__)
    assert set(seen["pool"]["vdevs"][0]) == set(Vdev.__annotations__)
    ported = next(r["data"] for r in parse("docker_inspect", (corpus / "docker/docker-inspect-all.json").read_text()) if r["data"]["ports"])
    assert set(ported["ports"][0]) == set(ContainerPort.__annotations__)
    assert set(seen["proxy_site"]["upstreams"][0]) == set(Upstream.__annotations__)
    done = service.collect("localhost", "system")
    from infrarag.types import Collection

    assert set(done) == set(Collection.__annotations__)
    memory = next(r for r in done["records"] if r["kind"] == "memory")
    assert cast(MemoryData, memory["data"])["total_bytes"] > 0


class ListRecordStore:
    """A record store of the caller's: two lists, filtered with
    ``infrarag.store.matches``."""

    def __init__(self) -> None:
        self.entries: list[Any] = []
        self.stored: list[Any] = []
        self.fail_next = False

    def append(self, entry: Any, records: list[Any]) -> None:
        if self.fail_next:
            self.fail_next = False
            raise OSError("the disk is full")
        self.entries.append(entry)
        self.stored.extend(
            {"entry": entry["id"], "host": entry["host"], "method": entry["method"], "time_ms": entry["time_ms"], "record": r}
            for r in records
        )

    def audit(self, query: Any) -> list[Any]:
        from infrarag.store import matches

        return [e for e in self.entries if matches(query, e["host"], e["method"], e["time_ms"])]

    def records(self, query: Any) -> list[Any]:
        from infrarag.store import matches

        return [r for r in self.stored if matches(query, r["host"], r["method"], r["time_ms"])]

    def prune(self, before_ms: int) -> int:
        gone = {e["id"] for e in self.entries if e["time_ms"] < before_ms}
        self.entries = [e for e in self.entries if e["id"] not in gone]
        self.stored = [r for r in self.stored if r["entry"] not in gone]
        return len(gone)


def test_a_record_store_of_the_callers_keeps_the_trail_and_its_errors_reach_the_caller() -> None:
    mine = ListRecordStore()
    hello = Collector("hello", [["echo", "hi"]], lambda out: [{"kind": "hello", "data": out[0]["stdout"].strip()}])
    service = CollectionService(collectors=[hello], store=mine)
    service.collect("localhost", "hello", actor="me")
    service.collect("localhost", "hello", actor="me")
    assert [e["outcome"] for e in mine.entries] == ["collected", "cached"]
    assert [r["record"]["data"] for r in mine.stored] == ["hi"]
    assert service.audit(method="hello") == mine.entries
    assert [r["record"] for r in service.latest("localhost", "hello")] == [{"kind": "hello", "data": "hi"}]
    mine.fail_next = True
    with pytest.raises(OSError, match="disk is full"):
        service.collect("localhost", "hello")
    assert len(mine.entries) == 2
    assert service.prune(2**62) == 2 and mine.entries == [] and mine.stored == []
    # A service on a store that already holds entries continues their ids.
    mine.append({**service_entry(), "id": 41}, [])
    again = CollectionService(collectors=[hello], store=mine)
    assert again.collect("localhost", "hello")["audit_id"] == 42


def service_entry() -> dict[str, Any]:
    return {
        "id": 0, "time": "2026-01-01T00:00:00.000Z", "time_ms": 1767225600000, "actor": "", "reason": "",
        "host": "localhost", "method": "hello", "commands": [], "duration_ms": 0, "outcome": "collected",
        "error": None, "bytes_read": 0, "records_written": 0,
    }


def test_concurrent_callers_each_get_their_own_store_exception() -> None:
    class Refusing(ListRecordStore):
        def append(self, entry: Any, records: list[Any]) -> None:
            time.sleep(0.02)
            raise PermissionError(f"refused {entry['actor']}")

    hello = Collector("hello", [["echo", "hi"]], lambda out: [{"kind": "hello", "data": out[0]["stdout"]}])
    service = CollectionService(collectors=[hello], ttl={"hello": 0}, store=Refusing())
    seen: dict[str, str] = {}

    def call(actor: str) -> None:
        try:
            service.collect("localhost", "hello", actor=actor)
        except PermissionError as e:
            seen[actor] = str(e)

    threads = [threading.Thread(target=call, args=(f"caller{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {f"caller{i}": f"refused caller{i}" for i in range(8)}
