"""The shapes of the plain dicts infrarag returns and passes to callbacks,
as TypedDicts, so a typo in a key fails mypy: generation results and
events, completions and streamed deltas, search hits, findings and
reports. Every one holds only JSON types (``json.dumps`` and FastAPI take
them as they are)."""

from __future__ import annotations

from typing import Any, Literal, Optional, TypedDict, Union


class Position(TypedDict):
    """A place in a text: 0-based ``byte``, 1-based ``line`` and ``column``."""

    byte: int
    line: int
    column: int


class Span(TypedDict):
    start: Position
    end: Position


class Diagnostic(TypedDict):
    """A syntax error or warning, as :class:`infrarag.ParseError` lists them."""

    severity: Literal["error", "warning"]
    code: str
    message: str
    #: Terraform's title for the problem ("Invalid block definition", ...).
    summary: str
    span: Span


class Usage(TypedDict):
    """Tokens a model call used, as the provider counted them."""

    input_tokens: int
    output_tokens: int
    cache_write_tokens: int
    cache_read_tokens: int


class TextBlock(TypedDict):
    type: Literal["text"]
    text: str


class ToolUseBlock(TypedDict):
    type: Literal["tool_use"]
    id: str
    name: str
    input: Any


class ToolResultBlock(TypedDict):
    type: Literal["tool_result"]
    tool_use_id: str
    content: str
    is_error: bool


ContentBlock = Union[TextBlock, ToolUseBlock, ToolResultBlock]


class Completion(TypedDict):
    """What :meth:`infrarag.llm.LanguageModel.complete` returns."""

    model: str
    content: list[ContentBlock]
    #: ``end_turn``, ``max_tokens``, ``stop_sequence``, ``tool_use``, or the
    #: provider's own word.
    stop_reason: str
    usage: Usage


class TextDelta(TypedDict):
    type: Literal["text"]
    index: int
    text: str


class ToolUseDelta(TypedDict):
    type: Literal["tool_use"]
    index: int
    id: str
    name: str


class ToolInputDelta(TypedDict):
    type: Literal["tool_input"]
    index: int
    partial_json: str


class RetryingDelta(TypedDict):
    type: Literal["retrying"]
    attempt: int
    wait_ms: int
    reason: str


#: A piece of a streamed answer, or a wait before a retry.
Delta = Union[TextDelta, ToolUseDelta, ToolInputDelta, RetryingDelta]

Outcome = Literal["valid", "invalid", "no_code", "step_limit"]


class Problem(TypedDict):
    """A validation finding as the generation loop reports it."""

    severity: Literal["error", "warning"]
    code: str
    file: str
    line: int
    column: int
    message: str
    fix: Optional[str]


class GeneratedFile(TypedDict):
    path: str
    text: str


class Round(TypedDict):
    answer: str
    files: list[GeneratedFile]
    problems: list[Problem]
    usage: Usage


class ContextItem(TypedDict):
    citation: str
    address: Optional[str]
    language: str
    text: str


class GenerationResult(TypedDict):
    """What :meth:`infrarag.pipeline.Generator.generate` returns."""

    outcome: Outcome
    files: list[GeneratedFile]
    rounds: list[Round]
    usage: Usage
    model: str
    context: list[ContextItem]


class RetrievedEvent(TypedDict):
    type: Literal["retrieved"]
    citations: list[str]


class PromptBuiltEvent(TypedDict):
    type: Literal["prompt_built"]
    tokens: int
    budget: int
    context: int
    omitted: int
    redactions: int


class GeneratingEvent(TypedDict):
    type: Literal["generating"]
    round: int
    text: str


class RetryingEvent(TypedDict):
    type: Literal["retrying"]
    round: int
    attempt: int
    wait_ms: int
    reason: str


class ToolCallEvent(TypedDict):
    type: Literal["tool_call"]
    round: int
    id: str
    name: str
    input: Any


class ToolResultEvent(TypedDict):
    type: Literal["tool_result"]
    round: int
    id: str
    name: str
    output: str
    is_error: bool


class ValidatedEvent(TypedDict):
    type: Literal["validated"]
    round: int
    files: list[str]
    errors: int
    warnings: int
    problems: list[Problem]


class CorrectingEvent(TypedDict):
    type: Literal["correcting"]
    round: int
    errors: int


class DoneEvent(TypedDict):
    type: Literal["done"]
    outcome: Outcome
    rounds: int
    usage: Usage


class FailedEvent(TypedDict):
    type: Literal["failed"]
    code: str
    message: str


#: What the generation loop is doing, in order (``round`` 0 is the first answer).
PipelineEvent = Union[
    RetrievedEvent,
    PromptBuiltEvent,
    GeneratingEvent,
    RetryingEvent,
    ToolCallEvent,
    ToolResultEvent,
    ValidatedEvent,
    CorrectingEvent,
    DoneEvent,
    FailedEvent,
]


class Signal(TypedDict):
    score: float
    rank: int


class Scores(TypedDict):
    lexical: Optional[Signal]
    code: Optional[Signal]
    summary: Optional[Signal]


class ChunkDict(TypedDict):
    """:meth:`infrarag.chunk.Chunk.to_dict`."""

    id: str
    path: str
    language: str
    kind: str
    text: str
    block_type: Optional[str]
    labels: list[str]
    address: Optional[str]
    heading_path: list[str]
    part: int
    parts: int
    start_line: int
    end_line: int
    start_byte: int
    end_byte: int
    token_count: int
    content_hash: str
    summary: str


class HitDict(TypedDict):
    """:meth:`infrarag.index.Hit.to_dict`."""

    chunk: ChunkDict
    score: float
    scores: Scores
    citation: str
    places: list[str]


class FindingDict(TypedDict):
    """:meth:`infrarag.validation.Finding.to_dict`."""

    severity: Literal["error", "warning"]
    code: str
    summary: str
    detail: str
    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    start_byte: int
    end_byte: int
    related: list[Related]
    fix: Optional[Fix]


class Related(TypedDict):
    """Another place a finding concerns (the first declaration of a duplicate)."""

    file: str
    span: Span
    message: str


class Fix(TypedDict):
    """A replacement that resolves a finding."""

    message: str
    file: str
    span: Span
    replacement: str


class ReportFinding(TypedDict):
    """A finding as :meth:`infrarag.validation.Report.to_json` holds it."""

    severity: Literal["error", "warning"]
    code: str
    summary: str
    detail: str
    file: str
    span: Span
    related: list[Related]
    fix: Optional[Fix]


class PolicyVerdict(TypedDict):
    """What a security check concluded about one resource."""

    check: str
    title: str
    address: str
    outcome: Literal["PASSED", "FAILED", "UNKNOWN", "SKIPPED"]
    file: str
    span: Span


class CheckInfo(TypedDict):
    """A built-in security check, as :func:`infrarag.validation.checks`
    lists it."""

    id: str
    title: str
    provider: Literal["aws", "azure", "gcp"]
    #: What it reads, as checkov files it: a resource, a data source, a
    #: provider block, or resources and their connections.
    kind: Literal["resource", "data", "provider", "graph"]
    #: The types it judges (a graph check: those it names).
    resource_types: list[str]
    #: checkov's categories: ``ENCRYPTION``, ``NETWORKING``, ``IAM``, ...
    categories: list[str]
    #: checkov's severity where it gives one offline (one check of 919).
    severity: Optional[str]


class SuppressedFinding(TypedDict):
    """A finding silenced by a comment, with the reason written there."""

    finding: ReportFinding
    reason: Optional[str]
    file: str
    span: Span


class ReportJson(TypedDict):
    """:meth:`infrarag.validation.Report.to_json` and ``to_dict``."""

    ok: bool
    error_count: int
    warning_count: int
    dir: str
    files: list[str]
    findings: list[ReportFinding]
    policies: list[PolicyVerdict]
    suppressed: list[SuppressedFinding]



class CpuData(TypedDict):
    """``cpu``: utilisation between two ``/proc/stat`` samples; ``cpu`` is
    ``cpu`` for all CPUs, ``cpu0``... for each."""

    cpu: str
    busy_percent: float
    user_percent: float
    system_percent: float
    iowait_percent: float
    steal_percent: float


class CpuTimesData(TypedDict):
    """``cpu_times`` (from :func:`infrarag.collect.parse`): clock ticks
    since boot in each state."""

    cpu: str
    user: int
    nice: int
    system: int
    idle: int
    iowait: int
    irq: int
    softirq: int
    steal: int
    guest: int
    guest_nice: int


class MemoryData(TypedDict):
    """``memory``: ``/proc/meminfo`` in bytes; ``fields`` has every line."""

    total_bytes: int
    free_bytes: int
    available_bytes: int
    swap_total_bytes: int
    swap_free_bytes: int
    fields: dict[str, int]


class LoadData(TypedDict):
    """``load``: ``/proc/loadavg``."""

    load_1m: float
    load_5m: float
    load_15m: float
    running: int
    tasks: int
    last_pid: int


class UptimeData(TypedDict):
    """``uptime``: ``/proc/uptime``."""

    uptime_seconds: float
    idle_seconds: float


class FilesystemData(TypedDict):
    """``filesystem``: one line of ``df -PT -B1``."""

    filesystem: str
    type: str
    size_bytes: int
    used_bytes: int
    available_bytes: int
    capacity_percent: int
    mount_point: str


class DiskIoData(TypedDict):
    """``disk_io``: one line of ``/proc/diskstats`` (counters since boot;
    the discard and flush ones are ``None`` on kernels without them)."""

    major: int
    minor: int
    device: str
    reads_completed: int
    reads_merged: int
    sectors_read: int
    read_time_ms: int
    writes_completed: int
    writes_merged: int
    sectors_written: int
    write_time_ms: int
    io_in_progress: int
    io_time_ms: int
    weighted_io_time_ms: int
    discards_completed: Optional[int]
    discards_merged: Optional[int]
    sectors_discarded: Optional[int]
    discard_time_ms: Optional[int]
    flushes_completed: Optional[int]
    flush_time_ms: Optional[int]


class NetIoData(TypedDict):
    """``net_io``: one interface of ``/proc/net/dev`` (counters since boot)."""

    interface: str
    rx_bytes: int
    rx_packets: int
    rx_errors: int
    rx_dropped: int
    rx_fifo: int
    rx_frame: int
    rx_compressed: int
    rx_multicast: int
    tx_bytes: int
    tx_packets: int
    tx_errors: int
    tx_dropped: int
    tx_fifo: int
    tx_collisions: int
    tx_carrier: int
    tx_compressed: int


class SocketProcess(TypedDict):
    """A process holding a socket."""

    name: str
    pid: int
    fd: int


class SocketData(TypedDict):
    """``socket``: one line of ``ss -tulpn`` (a port is ``None`` for ``*``)."""

    protocol: str
    state: str
    recv_q: int
    send_q: int
    local_address: str
    local_port: Optional[int]
    peer_address: str
    peer_port: Optional[int]
    processes: list[SocketProcess]


class LogEntryData(TypedDict):
    """``log_entry``: one journal entry or container log line."""

    source: Literal["journal", "docker"]
    time: str
    time_us: int
    #: syslog priority, 0 (emerg) to 7 (debug); the journal only.
    priority: Optional[int]
    unit: Optional[str]
    identifier: Optional[str]
    pid: Optional[int]
    stream: Optional[str]
    message: str
    cursor: Optional[str]


class LogCursorData(TypedDict):
    """``log_cursor``: pass ``cursor`` back as the ``cursor`` argument of
    the next ``logs`` poll."""

    source: Literal["journal", "docker"]
    cursor: Optional[str]


class SmartStatus(TypedDict):
    """smartctl's exit status, bit by bit (``code`` is the whole)."""

    code: int
    command_line: bool
    open_failed: bool
    command_failed: bool
    disk_failing: bool
    prefail_below_threshold: bool
    past_below_threshold: bool
    error_log_has_records: bool
    self_test_errors: bool


class SmartAttribute(TypedDict):
    """One ATA SMART attribute."""

    id: int
    name: str
    value: int
    worst: int
    threshold: int
    raw: int
    prefailure: bool


class DriveData(TypedDict):
    """``drive``: one device of ``smartctl -j -a`` (fields a device type
    lacks are ``None``)."""

    device: str
    device_type: Optional[str]
    protocol: Optional[str]
    model: Optional[str]
    serial: Optional[str]
    firmware: Optional[str]
    capacity_bytes: Optional[int]
    smart_passed: Optional[bool]
    temperature_celsius: Optional[int]
    power_on_hours: Optional[int]
    power_cycles: Optional[int]
    percentage_used: Optional[int]
    media_errors: Optional[int]
    attributes: list[SmartAttribute]
    status: SmartStatus
    messages: list[str]


class ContainerPort(TypedDict):
    container_port: int
    protocol: str
    host_ip: Optional[str]
    host_port: Optional[int]


class ContainerData(TypedDict):
    """``container``: ``docker ps``, ``inspect`` and ``stats`` joined (the
    stats are ``None`` for a stopped container)."""

    id: str
    name: str
    image: str
    state: str
    health: Optional[str]
    restart_count: int
    exit_code: int
    oom_killed: bool
    started_at: Optional[str]
    compose_project: Optional[str]
    compose_service: Optional[str]
    ports: list[ContainerPort]
    networks: list[str]
    labels: dict[str, str]
    cpu_percent: Optional[float]
    memory_usage_bytes: Optional[int]
    memory_limit_bytes: Optional[int]
    net_rx_bytes: Optional[int]
    net_tx_bytes: Optional[int]
    block_read_bytes: Optional[int]
    block_write_bytes: Optional[int]
    pids: Optional[int]


class Vdev(TypedDict):
    """A node of a pool's vdev tree; ``depth`` 0 is the pool itself."""

    name: str
    depth: int
    state: Optional[str]
    read_errors: Optional[int]
    write_errors: Optional[int]
    checksum_errors: Optional[int]


class PoolData(TypedDict):
    """``pool``: one pool of ``zpool status``."""

    name: str
    state: str
    status: Optional[str]
    action: Optional[str]
    scan: Optional[str]
    see: Optional[str]
    errors: Optional[str]
    vdevs: list[Vdev]


#: ``dataset``: a filesystem, volume or snapshot of ``zfs list`` (``type``
#: is one of those three words).
DatasetData = TypedDict(
    "DatasetData",
    {
        "name": str,
        "type": str,
        "used_bytes": Optional[int],
        "available_bytes": Optional[int],
        "referenced_bytes": Optional[int],
        "mountpoint": Optional[str],
    },
)


class Upstream(TypedDict):
    """A proxied location of a site."""

    location: str
    app: Optional[str]
    port: Optional[int]
    proto: Optional[str]
    proxy_pass: Optional[str]


class ProxySiteData(TypedDict):
    """``proxy_site``: what one nginx/SWAG site file sets up."""

    file: str
    kind: str
    content_hash: str
    server_names: list[str]
    listen_ports: list[int]
    upstreams: list[Upstream]
    auth: list[str]


class Record(TypedDict):
    """One fact a collection found: ``kind`` (``cpu``, ``memory``,
    ``filesystem``, ``socket``, ...) and its fields, units in their names
    (``total_bytes``, ``busy_percent``, ``uptime_seconds``). The fields of
    each kind the library makes are typed in :data:`RECORD_DATA`
    (``cast(MemoryData, record["data"])``); a custom method's kinds are
    its own."""

    kind: str
    data: Any


#: The typed fields of each record kind, by kind.
RECORD_DATA: dict[str, type] = {
    "cpu": CpuData,
    "cpu_times": CpuTimesData,
    "memory": MemoryData,
    "load": LoadData,
    "uptime": UptimeData,
    "filesystem": FilesystemData,
    "disk_io": DiskIoData,
    "net_io": NetIoData,
    "socket": SocketData,
    "log_entry": LogEntryData,
    "log_cursor": LogCursorData,
    "drive": DriveData,
    "container": ContainerData,
    "pool": PoolData,
    "dataset": DatasetData,
    "proxy_site": ProxySiteData,
}


class Collection(TypedDict):
    """What :meth:`infrarag.collect.CollectionService.collect` returns."""

    host: str
    method: str
    records: list[Record]
    #: When the records were taken, RFC 3339 UTC, and in ms since the epoch.
    taken_at: str
    taken_at_ms: int
    duration_ms: int
    cached: bool
    audit_id: int


class AuditEntry(TypedDict):
    """One call to ``collect``, whatever its outcome."""

    id: int
    time: str
    time_ms: int
    actor: str
    reason: str
    host: str
    method: str
    commands: list[str]
    duration_ms: int
    outcome: Literal["collected", "cached", "shared", "failed"]
    error: Optional[str]
    bytes_read: int
    records_written: int


class StoredRecord(TypedDict):
    """A stored record with the collection it came from."""

    entry: int
    host: str
    method: str
    time_ms: int
    record: Record


class Run(TypedDict):
    """One fire of a scheduled job."""

    job: str
    #: When it was due (UTC, RFC 3339).
    due: str
    due_ms: int
    duration_ms: int
    #: ``skipped``: the previous run was still going; ``cancelled``: by
    #: shutdown after its timeout.
    outcome: Literal["succeeded", "failed", "skipped", "cancelled"]
    error: Optional[str]


class ShutdownReport(TypedDict):
    """What :meth:`infrarag.collect.Scheduler.shutdown` found."""

    #: Runs that ended within the timeout.
    finished: int
    #: Jobs whose runs were still going at the timeout.
    cancelled: list[str]


class CommandOutput(TypedDict):
    """What a custom method's parse function gets for each command."""

    status: Optional[int]
    stdout: str
    stderr: str

__all__ = [
    "AuditEntry",
    "Run",
    "ShutdownReport",
    "ChunkDict",
    "Collection",
    "CommandOutput",
    "Completion",
    "ContentBlock",
    "ContextItem",
    "Delta",
    "CheckInfo",
    "Diagnostic",
    "Fix",
    "FindingDict",
    "GeneratedFile",
    "GenerationResult",
    "HitDict",
    "Outcome",
    "PipelineEvent",
    "PolicyVerdict",
    "Problem",
    "Related",
    "ReportFinding",
    "Record",
    "RECORD_DATA",
    "CpuData",
    "CpuTimesData",
    "MemoryData",
    "LoadData",
    "UptimeData",
    "FilesystemData",
    "DiskIoData",
    "NetIoData",
    "SocketData",
    "SocketProcess",
    "LogEntryData",
    "LogCursorData",
    "DriveData",
    "SmartStatus",
    "SmartAttribute",
    "ContainerData",
    "ContainerPort",
    "PoolData",
    "Vdev",
    "DatasetData",
    "ProxySiteData",
    "Upstream",
    "ReportJson",
    "Round",
    "Scores",
    "Signal",
    "Span",
    "StoredRecord",
    "SuppressedFinding",
    "Usage",
]
