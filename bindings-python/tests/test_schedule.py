"""The scheduler from Python, in real time on short intervals: callables
(sync and async), collections through a shared service, overlap skipping,
cron fire times across DST, shutdown."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import datetime, timezone
from typing import Callable

import pytest

import infrarag
from infrarag.collect import CollectionService, Collector, Scheduler
from infrarag.types import Run


def eventually(what: str, check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def test_callables_and_async_functions_run_and_report() -> None:
    heard: list[Run] = []
    scheduler = Scheduler(on_run=heard.append)
    calls: list[str] = []

    async def later() -> None:
        await asyncio.sleep(0.01)
        calls.append("async")

    def broken() -> None:
        raise RuntimeError("disk full")

    scheduler.add("sync", lambda: calls.append("sync"), every=0.05)
    scheduler.add("async", later, every=0.05)
    scheduler.add("broken", broken, every=0.05)
    assert scheduler.jobs == ["async", "broken", "sync"]
    scheduler.start()
    eventually("two runs of each", lambda: calls.count("sync") >= 2 and calls.count("async") >= 2)
    report = scheduler.shutdown(timeout=5)
    assert report["cancelled"] == []
    failed = [r for r in scheduler.history() if r["job"] == "broken"]
    assert failed and all(r["outcome"] == "failed" for r in failed)
    assert "disk full" in (failed[0]["error"] or "")
    assert len(heard) == len(scheduler.history())


def test_an_overlapping_run_is_skipped_and_shutdown_cancels_after_its_timeout() -> None:
    scheduler = Scheduler()
    release = threading.Event()
    scheduler.add("slow", lambda: release.wait(5), every=0.05)
    scheduler.start()
    eventually("a skip", lambda: any(r["outcome"] == "skipped" for r in scheduler.history()))
    report = scheduler.shutdown(timeout=0.1)
    assert report == {"finished": 0, "cancelled": ["slow"]}
    release.set()
    eventually("the run to end", lambda: any(r["outcome"] in ("succeeded", "cancelled") for r in scheduler.history()))
    with pytest.raises(infrarag.InvalidArgumentError):
        scheduler.add("late", lambda: None, every=1)


def test_collection_jobs_share_the_service_with_other_callers() -> None:
    hello = Collector("hello", [["echo", "hi"]], lambda out: [{"kind": "hello", "data": out[0]["stdout"].strip()}])
    service = CollectionService(collectors=[hello], ttl={"hello": 0})
    scheduler = Scheduler()
    scheduler.add_collection("poll", service, hosts=["localhost"], methods=["hello"], every=0.05, reason="poll")
    with pytest.raises(infrarag.InvalidArgumentError, match="nowhere"):
        scheduler.add_collection("bad", service, hosts=["nowhere"], methods=["hello"], every=1)
    scheduler.start()
    service.collect("localhost", "hello", actor="api", reason="a request")
    eventually("two scheduled collections", lambda: len(service.audit(method="hello")) >= 3)
    asyncio.run(scheduler.shutdown_async(timeout=5))
    actors = {e["actor"] for e in service.audit()}
    assert actors == {"api", "scheduler"}


def test_cron_fire_times_follow_the_time_zone() -> None:
    scheduler = Scheduler()
    scheduler.add("nightly", lambda: None, cron="30 2 * * *", tz="America/New_York")
    scheduler.add("often", lambda: None, every=60, jitter=30)
    upcoming = scheduler.upcoming(3)
    nightly = [at for job, at in upcoming if job == "nightly"]
    assert len(nightly) == 3
    for at in nightly:
        local = at.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
        # 02:30 local, or 03:00 on the night the clocks skip 02:30.
        assert (local.hour, local.minute) in ((2, 30), (3, 0))
    often = [at for job, at in upcoming if job == "often"]
    now = datetime.now(timezone.utc)
    assert 59 <= (often[0] - now).total_seconds() <= 91
    for bad in [dict(every=1, cron="* * * * *"), dict(), dict(cron="* * * * *", jitter=1), dict(cron="* * * * *", tz="Nowhere/City")]:
        with pytest.raises(infrarag.InvalidArgumentError):
            scheduler.add("x", lambda: None, **bad)  # type: ignore[arg-type]
    with pytest.raises(infrarag.InvalidArgumentError, match="never fires"):
        scheduler.add("never", lambda: None, cron="0 0 30 2 *")
