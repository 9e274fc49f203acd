"""One collection service shared by a REST-style handler, an MCP-style
tool and a scheduled poll in the same process, then the audit trail they
left. Hosts other than localhost would be added as SSH hosts:
``CollectionService(hosts={"nas": {"hostname": "10.0.0.5", "user": "ops"}})``
or by their names in ``~/.ssh/config``.

    python examples/python/monitor.py
"""

from __future__ import annotations

import asyncio
from typing import Any

from infrarag.collect import CollectionService, Scheduler

#: One per process: every route, tool and job calls this one.
SERVICE = CollectionService(system_interval=0.2)


async def get_host_metrics(host: str) -> dict[str, Any]:
    """What a FastAPI route (`@app.get("/hosts/{host}/metrics")`) returns."""
    done = await SERVICE.collect_async(host, "system", actor="api:alice", reason="dashboard")
    memory = next(r["data"] for r in done["records"] if r["kind"] == "memory")
    cpu = next(r["data"] for r in done["records"] if r["kind"] == "cpu" and r["data"]["cpu"] == "cpu")
    return {"host": host, "cpu_busy_percent": round(cpu["busy_percent"], 1),
            "memory_available_bytes": memory["available_bytes"], "cached": done["cached"]}


async def list_ports_tool(host: str) -> str:
    """What an MCP tool (`@mcp.tool()`) answers the model with."""
    done = await SERVICE.collect_async(host, "ports", actor="mcp:assistant", reason="which services listen?")
    lines = [f"{r['data']['protocol']} {r['data']['local_address']}:{r['data']['local_port']}" for r in done["records"]]
    return "\n".join(lines) or "nothing listens"


async def main() -> None:
    # A platform's beat job: poll `system` every half second, spread by
    # up to 0.1 s of jitter; its runs go through the same cache and audit.
    scheduler = Scheduler()
    scheduler.add_collection("poll", SERVICE, hosts=["localhost"], methods=["system"], every=0.5, jitter=0.1)
    scheduler.start()
    metrics, ports, again = await asyncio.gather(
        get_host_metrics("localhost"), list_ports_tool("localhost"), get_host_metrics("localhost")
    )
    await asyncio.sleep(1.3)
    report = await scheduler.shutdown_async(timeout=5)
    print("metrics:", metrics)
    print("ports:", ports.replace("\n", ", "))
    print("second request served from", "the cache" if again["cached"] else "a shared run")
    for e in SERVICE.audit():
        print(f"audit #{e['id']} {e['time']} {e['actor']} {e['method']} {e['outcome']} {e['duration_ms']} ms")
    runs = scheduler.history()
    print(f"scheduled runs: {len(runs)}, outcomes {sorted({r['outcome'] for r in runs})}, cancelled {report['cancelled']}")


if __name__ == "__main__":
    asyncio.run(main())
