"""Live state from machines: one :class:`CollectionService` per process,
shared by a REST route, an MCP tool and a scheduled job alike.

A method runs commands on a host and parses their output into typed
records, units in the field names: ``system`` (CPU utilisation from two
``/proc/stat`` samples, memory, load, uptime, filesystems, disk and network
counters), ``ports`` (listening sockets with their processes) and
``drives`` (``smartctl -j``: health, temperature, wear, attributes, and its
exit status decoded bit by bit) and ``containers`` (``docker ps``,
``inspect`` and ``stats`` joined: state, health, restarts, compose project
and service, ports, networks, CPU, memory and I/O in bytes) and ``zfs``
(pools with their vdev trees, errors and scrub state from ``zpool status
-j``, or its text on older hosts; datasets and snapshots from ``zfs list``)
and ``proxy`` (SWAG/nginx site files: server names, ports, upstreams, the
authentication in force, and a content hash), plus methods of your own
(:class:`Collector`). The service caches each method's
records for a while (``ttl``), runs identical concurrent calls once, limits
how many collections run per host and in all, retries transport failures,
and audits every call, failures included.

>>> from infrarag.collect import CollectionService
>>> service = CollectionService(system_interval=0.05)
>>> done = service.collect("localhost", "system", actor="doctest", reason="example")
>>> memory = next(r for r in done["records"] if r["kind"] == "memory")
>>> memory["data"]["total_bytes"] > 0, done["cached"]
(True, False)
>>> service.collect("localhost", "system")["cached"]
True
>>> [e["outcome"] for e in service.audit()]
['collected', 'cached']

Hosts other than ``localhost`` are reached over SSH (:class:`SshHost`, or a
name in an OpenSSH config): one connection per host, reused by concurrent
commands, with host keys checked against ``known_hosts`` or a pinned key.

Failures raise :class:`infrarag.TransportError`, :class:`infrarag.HostKeyError`
(``fingerprint``), :class:`infrarag.AuthError`, :class:`infrarag.CommandError`
(``status``, ``stderr``), :class:`infrarag.CommandTimeoutError` or
:class:`infrarag.OutputError` (``line``), each naming ``host`` and ``method``.
Collections run without the GIL.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Literal, Mapping, Optional, Sequence, TypedDict, Union, cast

from infrarag import _native
from infrarag._native import CollectionService as _NativeService
from infrarag._native import Scheduler as _NativeScheduler
from infrarag._tasks import on_thread
from infrarag.store import RecordStore
from infrarag.types import AuditEntry, Collection, CommandOutput, Record, Run, ShutdownReport, StoredRecord

__all__ = ["CollectionService", "Collector", "Scheduler", "SshHost", "parse"]


class _SshHostRequired(TypedDict):
    hostname: str


class SshHost(_SshHostRequired, total=False):
    """How to reach a host over SSH; only ``hostname`` is required.

    - ``port`` (22), ``user`` (the local user);
    - ``identity_files``: key files offered in order (Ed25519, ECDSA or RSA;
      default ``~/.ssh/id_ed25519``, ``id_ecdsa``, ``id_rsa`` where they
      exist), ``passphrase`` for encrypted ones; ``agent``: ``True`` (the
      agent at ``SSH_AUTH_SOCK``, the default when it is set), ``False``,
      or the agent's socket path;
    - host keys: ``known_hosts`` (default ``~/.ssh/known_hosts``) or one
      pinned ``host_key`` (``"ssh-ed25519 AAAA..."``);
      ``trust_on_first_use`` records an unknown host's key instead of
      refusing it (a changed key is always refused);
    - ``jump``: the host to connect through (an :class:`SshHost` or a name
      in the SSH config);
    - ``connect_timeout`` (10 s), ``keepalive`` (15 s; 0: none),
      ``max_channels`` (8 commands at once on the connection).
    """

    port: int
    user: str
    identity_files: list[str]
    passphrase: str
    agent: Union[bool, str]
    known_hosts: str
    host_key: str
    trust_on_first_use: bool
    jump: Union[str, "SshHost"]
    connect_timeout: float
    keepalive: float
    max_channels: int

#: The output kinds :func:`parse` reads.
ParserKind = Literal[
    "proc_stat", "meminfo", "loadavg", "uptime", "df", "diskstats", "net_dev", "ss", "smartctl", "journal",
    "zpool_status", "zpool_status_json", "zfs_list_json", "docker_inspect", "nginx_site",
]


def parse(kind: ParserKind, text: str) -> list[Record]:
    """Records from the output of one command run elsewhere: ``cat
    /proc/stat`` (``proc_stat``, CPU times since boot), ``/proc/meminfo``,
    ``/proc/loadavg``, ``/proc/uptime``, ``df -PT -B1``, ``/proc/diskstats``,
    ``/proc/net/dev``, ``ss -tulpn``, ``smartctl -j -a``, ``journalctl -o
    json``, ``zpool status -v`` (``zpool_status``) or ``-j``
    (``zpool_status_json``), ``zfs list -j``, ``docker inspect`` or one
    nginx site file (``nginx_site``). Raises
    :class:`infrarag.OutputError` with the ``line`` that does not parse.

    >>> parse("loadavg", "0.52 0.58 0.59 2/980 23456")[0]["data"]["tasks"]
    980
    """
    return cast("list[Record]", _native.collect_parse(kind, text))


@dataclass(frozen=True)
class Collector:
    """A method of your own: ``commands`` (each an argv list, never a
    shell line) run in order and must exit 0; ``parse`` gets their outputs
    and returns the records. What it raises becomes an
    :class:`infrarag.OutputError`."""

    name: str
    commands: Sequence[Sequence[str]]
    parse: Callable[[list[CommandOutput]], list[Record]]


class CollectionService:
    """Serves collections from ``localhost`` and the ``hosts`` given: each
    maps a name to an :class:`SshHost`, to a name that the OpenSSH config
    resolves (``ssh_config``, else ``~/.ssh/config``: HostName, User, Port,
    IdentityFile, ProxyJump, UserKnownHostsFile, StrictHostKeyChecking), or
    to ``"local"``. Nothing connects until a host's first collection.

    ``ttl`` maps a method to seconds its records are served from the cache
    (defaults: ``system`` and ``containers`` 15, ``ports`` 60, ``drives``
    and ``zfs`` 300, others 30; 0: never cached).
    ``max_per_host`` (4) and ``max_total`` (64) bound the collections
    running at once; transport failures are retried ``retries`` times (2),
    the first after ``backoff`` seconds (0.5), each next after twice as
    long. ``system_interval`` is the time between the two CPU samples (1 s).
    ``store`` is a file for the audit trail and records, written as the
    index's file is (each entry with its records in one transaction, safe
    across crashes) and locked while open; a ``postgres://`` URL for
    PostgreSQL, which services in many processes share (audit ids come from
    a sequence, so they never collide); or an object of your own with
    the methods of :class:`infrarag.store.RecordStore` (what it raises
    reaches the caller as it was raised); without it they are kept in
    memory.
    """

    def __init__(
        self,
        *,
        hosts: Optional[Mapping[str, Union[str, SshHost]]] = None,
        ssh_config: Union[str, "os.PathLike[str]", None] = None,
        collectors: Sequence[Collector] = (),
        ttl: Optional[Mapping[str, float]] = None,
        max_per_host: Optional[int] = None,
        max_total: Optional[int] = None,
        retries: Optional[int] = None,
        backoff: Optional[float] = None,
        system_interval: Optional[float] = None,
        store: Union[str, "os.PathLike[str]", RecordStore, None] = None,
    ) -> None:
        self._native = _NativeService(
            hosts=[(name, spec) for name, spec in (hosts or {}).items()],
            ssh_config=os.fspath(ssh_config) if ssh_config is not None else None,
            collectors=[(c.name, [list(a) for a in c.commands], c.parse) for c in collectors],
            ttl=dict(ttl) if ttl is not None else None,
            max_per_host=max_per_host,
            max_total=max_total,
            retries=retries,
            backoff=backoff,
            system_interval=system_interval,
            store=os.fspath(store) if isinstance(store, (str, os.PathLike)) else store,
        )

    @property
    def hosts(self) -> list[str]:
        """The hosts served, sorted."""
        return self._native.hosts

    @property
    def methods(self) -> list[str]:
        """The methods served, sorted."""
        return self._native.methods

    def collect(
        self,
        host: str,
        method: str,
        *,
        actor: str = "",
        reason: str = "",
        args: Optional[Mapping[str, Union[str, int]]] = None,
    ) -> Collection:
        """The records of ``method`` on ``host``: from the cache while fresh,
        else collected, or shared with the identical collection already
        running. ``actor`` and ``reason`` go in the audit trail. ``args``
        are the method's arguments; ``logs`` takes ``source`` (``journal``
        or ``docker``), ``unit``, ``identifier``, ``priority`` (0-7 or a
        name), ``cursor`` (the one its last ``log_cursor`` record gave),
        ``lines``, ``since`` and ``container``. An argument the method does
        not take raises :class:`infrarag.InvalidArgumentError`."""
        given = {k: str(v) for k, v in args.items()} if args is not None else None
        return cast(Collection, self._native.collect(host, method, actor=actor, reason=reason, args=given))

    collect_async = on_thread(collect)

    def audit(
        self,
        *,
        host: Optional[str] = None,
        method: Optional[str] = None,
        since_ms: Optional[int] = None,
        until_ms: Optional[int] = None,
    ) -> list[AuditEntry]:
        """Every call to :meth:`collect` matching the filters, oldest first."""
        return cast(
            "list[AuditEntry]",
            self._native.query("audit", host=host, method=method, since_ms=since_ms, until_ms=until_ms),
        )

    def records(
        self,
        *,
        host: Optional[str] = None,
        method: Optional[str] = None,
        since_ms: Optional[int] = None,
        until_ms: Optional[int] = None,
    ) -> list[StoredRecord]:
        """Stored records matching the filters, oldest first."""
        return cast(
            "list[StoredRecord]",
            self._native.query("records", host=host, method=method, since_ms=since_ms, until_ms=until_ms),
        )

    def latest(self, host: str, method: str) -> list[StoredRecord]:
        """The records of the latest collection of ``method`` on ``host``."""
        return cast("list[StoredRecord]", self._native.latest(host, method))

    def prune(self, before_ms: int) -> int:
        """Forgets audit entries and records older than ``before_ms``
        (milliseconds since the epoch); returns how many entries went."""
        return self._native.prune(before_ms)

    def __repr__(self) -> str:
        return repr(self._native)


class Scheduler:
    """Runs jobs on intervals or cron expressions, each run on a thread of
    its own: collections (:meth:`add_collection`) or any callable, such as
    a platform's own cron jobs (:meth:`add`; an ``async`` function is run
    to its end with :func:`asyncio.run`).

    A trigger is either ``every`` seconds, each fire moved later by up to
    ``jitter`` seconds (the same job and fire always by the same amount, so
    many jobs on one interval spread out), or a ``cron`` expression in time
    zone ``tz`` (IANA, default UTC): five fields, six with seconds *first*,
    seven with a year; ``L``, ``W``, ``#``, ``@daily``-style macros. A time
    that a spring-forward gap skips fires just after the gap; a time that a
    fall-back hour repeats fires once.

    At most ``workers`` runs (16) go on at once; more due wait their turn.
    A run still going (or waiting) when its job is due again is skipped and
    reported (``outcome`` ``"skipped"``). ``on_run`` is called with each
    :class:`~infrarag.types.Run` as it ends or is skipped (on the run's
    thread); :meth:`history` keeps the last 10,000.

    >>> from infrarag.collect import Scheduler
    >>> scheduler = Scheduler()
    >>> scheduler.add("report", lambda: None, cron="0 6 * * MON-FRI", tz="Europe/Berlin")
    >>> [(job, at.isoformat()) for job, at in scheduler.upcoming(1)][0][0]
    'report'
    >>> scheduler.add("bad", lambda: None, cron="61 * * * *")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    infrarag.errors.InvalidArgumentError: invalid argument `cron`: `61 * * * *`: ...
    """

    def __init__(self, *, on_run: Optional[Callable[[Run], object]] = None, workers: Optional[int] = None) -> None:
        self._native = _NativeScheduler(on_run=on_run, workers=workers)

    def add(
        self,
        name: str,
        function: Callable[[], object],
        *,
        every: Optional[float] = None,
        jitter: Optional[float] = None,
        cron: Optional[str] = None,
        tz: Optional[str] = None,
    ) -> None:
        """Adds job ``name`` calling ``function``; what it raises is the
        run's ``error``. Raises :class:`infrarag.InvalidArgumentError` for a
        taken name, a bad trigger, or an expression that never fires."""
        self._native.add(name, function, every=every, jitter=jitter, cron=cron, tz=tz)

    def add_collection(
        self,
        name: str,
        service: CollectionService,
        *,
        hosts: Sequence[str],
        methods: Sequence[str],
        every: Optional[float] = None,
        jitter: Optional[float] = None,
        cron: Optional[str] = None,
        tz: Optional[str] = None,
        actor: str = "scheduler",
        reason: str = "",
    ) -> None:
        """Adds job ``name`` collecting each method on each host through
        ``service`` (its cache, limits and audit trail, as ``actor`` and
        ``reason``), up to eight at once; a run fails when any collection
        does, naming each."""
        targets = [(h, m) for h in hosts for m in methods]
        self._native.add_collection(
            name, service._native, targets, every=every, jitter=jitter, cron=cron, tz=tz, actor=actor, reason=reason
        )

    def remove(self, name: str) -> bool:
        """Removes job ``name``; whether it was there."""
        return self._native.remove(name)

    @property
    def jobs(self) -> list[str]:
        """The jobs' names, sorted."""
        return self._native.jobs

    def upcoming(self, n: int = 1) -> list[tuple[str, datetime]]:
        """The next ``n`` fire times of each job (UTC), soonest first."""
        return [(job, datetime.fromtimestamp(ms / 1000, tz=timezone.utc)) for job, ms in self._native.upcoming(n)]

    def history(self) -> list[Run]:
        """The runs so far, oldest first."""
        return cast("list[Run]", self._native.history())

    def start(self) -> None:
        """Runs the jobs in real time on a thread of the scheduler's own,
        until :meth:`shutdown`."""
        self._native.start()

    def shutdown(self, timeout: float = 30.0) -> ShutdownReport:
        """Stops firing jobs, waits up to ``timeout`` seconds for runs going
        on (without the GIL), and reports those still going as cancelled
        (collection jobs stop between collections; a Python callable runs
        to its end)."""
        return cast(ShutdownReport, self._native.shutdown(timeout))

    async def shutdown_async(self, timeout: float = 30.0) -> ShutdownReport:
        """:meth:`shutdown` without blocking the event loop."""
        return await on_thread(self.shutdown)(timeout)
