"""What Terraform recorded as deployed and planned: state files (format 4),
``terraform show -json`` state and plan output (formats 0.1 to 1.x), and
the ``terraform plan -json`` message stream, read with every sensitive
value masked; and drift: a configuration against its state
(:func:`compare_config`), and a state against what is live
(:func:`compare_live`, over :class:`AwsInventory` or an inventory of your
own), reported as dicts or as SARIF (:func:`sarif`).

A sensitive value reads ``"(sensitive value)"`` wherever it appears: where
Terraform marks it, and wherever the same value is copied (Terraform marks
a value where it is set, not where another attribute repeats it).

Every call releases the GIL while the Rust core works. Bad input raises
:class:`infrarag.ParseError` naming the file, line, column and, for JSON of
the wrong shape, the JSON path (``resources[0].instances[0].index_key``);
an unreadable file raises :class:`infrarag.StorageError`.
"""

from __future__ import annotations

import asyncio
import inspect
import os
from typing import Any, Awaitable, Literal, Mapping, Optional, Protocol, Sequence, TypedDict, Union, cast

from infrarag import _native
from infrarag._native import AwsInventory
from infrarag._tasks import on_thread

#: What a sensitive value reads as.
SENSITIVE = "(sensitive value)"


class Output(TypedDict):
    """A root module output."""

    value: Any
    sensitive: bool


class Resource(TypedDict):
    """What names a resource instance, in state and in a plan."""

    #: ``module.net.aws_subnet.private["a"]``, as Terraform prints it.
    address: str
    #: ``"module.net"``; ``None`` in the root module.
    module: Optional[str]
    mode: Literal["managed", "data"]
    resource_type: str
    name: str
    #: The ``count`` number or ``for_each`` key.
    index: Union[int, str, None]
    provider: str


class Instance(Resource):
    """One resource instance in state."""

    schema_version: int
    #: Sensitive values read :data:`SENSITIVE`.
    attributes: Any
    #: ``["password", "input.token"]``.
    sensitive_paths: list[str]
    dependencies: list[str]
    tainted: bool
    deposed: Optional[str]


class State(TypedDict):
    """What :func:`read_state` returns."""

    #: ``"file"`` for a state file, ``"show"`` for ``terraform show -json``.
    format: Literal["file", "show"]
    terraform_version: Optional[str]
    serial: Optional[int]
    lineage: Optional[str]
    outputs: dict[str, Output]
    instances: list[Instance]


class Change(TypedDict):
    """A change to a value."""

    #: In order: ``["delete", "create"]`` replaces.
    actions: list[Literal["no-op", "create", "read", "update", "delete", "forget"]]
    before: Any
    after: Any
    after_unknown: Any
    replace_paths: list[Any]


class ResourceChange(Resource):
    """A planned or detected change to one resource instance."""

    previous_address: Optional[str]
    deposed: Optional[str]
    change: Change
    action_reason: Optional[str]


class RelevantAttribute(TypedDict):
    """A resource attribute that contributed to the plan."""

    resource: str
    attribute: list[Any]


class Plan(TypedDict):
    """What :func:`read_plan` returns."""

    format_version: str
    terraform_version: Optional[str]
    resource_changes: list[ResourceChange]
    resource_drift: list[ResourceChange]
    output_changes: dict[str, Change]
    prior_state: Optional[State]
    relevant_attributes: list[RelevantAttribute]
    configuration: Any


def read_state(path: Union[str, "os.PathLike[str]"]) -> State:
    """Read a state file (``terraform.tfstate``, ``terraform state pull``)
    or ``terraform show -json`` output of a state. A state of format 3 or
    older, or newer than 4, is refused with a message saying so."""
    return cast(State, _native.drift_read_state(os.fspath(path)))


def read_plan(path: Union[str, "os.PathLike[str]"]) -> Plan:
    """Read ``terraform show -json PLANFILE`` output; a format newer than
    1.x is refused."""
    return cast(Plan, _native.drift_read_plan(os.fspath(path)))


def read_plan_stream(path: Union[str, "os.PathLike[str]"]) -> list[dict[str, Any]]:
    """Read the messages of ``terraform plan -json`` that say what changes,
    each a dict with its ``type``: ``version`` (``terraform``, ``ui``),
    ``planned_change`` and ``resource_drift`` (``address``,
    ``previous_address``, ``action``, ``reason``), ``change_summary``
    (``add``, ``change``, ``remove``, ``import``, ``operation``),
    ``outputs`` (``actions`` by name) and ``diagnostic``."""
    return _native.drift_read_plan_stream(os.fspath(path))


class AttributeDrift(TypedDict):
    """An argument whose configured value differs from state."""

    address: str
    #: The argument's name; ``input.interval`` for a key of an object
    #: known only in part.
    attribute: str
    config: Any
    #: :data:`SENSITIVE` when sensitive.
    state: Any


class ConfigDrift(TypedDict):
    """What :func:`compare_config` returns; managed resources only."""

    #: Instances both the configuration and state hold.
    managed: list[str]
    #: Declared, not in state: ``apply`` would create them.
    missing: list[str]
    #: In state, declared no more: ``apply`` would destroy them.
    undeclared: list[str]
    #: In state, of a resource block whose ``count`` or ``for_each`` needs
    #: values only state or apply know: not compared.
    undetermined: list[str]
    #: ``[from, to]`` of each state address a ``moved`` block renames.
    moved: list[list[str]]
    changed: list[AttributeDrift]
    #: What the configuration could not evaluate, ``file:line: message``.
    diagnostics: list[str]


def compare_config(
    module: Union[str, "os.PathLike[str]"],
    state: Union[str, "os.PathLike[str]"],
    *,
    vars: Optional[Mapping[str, str]] = None,
    var_files: Sequence[Union[str, "os.PathLike[str]"]] = (),
    environment: bool = True,
) -> ConfigDrift:
    """Compare the configuration in ``module`` (expanded as
    :func:`infrarag.hcl.expand` does, with the same variables) with the
    state file or ``show -json`` state at ``state``. An argument counts as
    changed when its configured value is known, not sensitive, and differs
    from state's (of an object known in part, each known key); ``moved``
    blocks, the root module's and each module's, rename state addresses
    first."""
    return cast(
        ConfigDrift,
        _native.drift_compare_config(
            os.fspath(module),
            os.fspath(state),
            vars=list(vars.items()) if vars is not None else None,
            var_files=[os.fspath(f) for f in var_files],
            environment=environment,
        ),
    )


class _LiveResourceRequired(TypedDict):
    id: str


class LiveResource(_LiveResourceRequired, total=False):
    """One live resource, named and shaped as the Terraform provider's state
    would hold it; what an inventory's ``list`` returns."""

    #: ``aws_s3_bucket``; may be left out by an inventory's ``list``, which
    #: is asked for one type.
    resource_type: str
    #: By Terraform's names; only these are compared with state.
    attributes: dict[str, Any]
    #: Made by the cloud itself (a default VPC): not reported unmanaged
    #: unless ``strict``.
    default: bool
    #: ``"type.id"`` of the resource this one is part of (a security group
    #: rule's group): not reported unmanaged when that one is managed.
    parent: Optional[str]


class Inventory(Protocol):
    """An inventory of your own (Azure, GCP, a CMDB): what
    :func:`compare_live` calls, from worker threads, one type at a time."""

    def resource_types(self) -> list[str]:
        """The Terraform resource types it lists."""
        ...

    def list(self, resource_type: str) -> Union[list[LiveResource], Awaitable[list[LiveResource]]]:
        """Every live resource of ``resource_type``; a coroutine (``async
        def``) is awaited, on the caller's event loop under
        :func:`compare_live_async`."""
        ...


class _Awaiting:
    """An inventory whose ``list`` may be a coroutine function: awaited on
    ``loop`` (the caller's, from the worker threads the comparison lists
    on), or on a loop of its own without one."""

    def __init__(self, inner: Inventory, loop: Optional[asyncio.AbstractEventLoop]) -> None:
        self.inner = inner
        self.loop = loop

    def resource_types(self) -> list[str]:
        return self.inner.resource_types()

    def list(self, resource_type: str) -> list[LiveResource]:
        out = self.inner.list(resource_type)
        if not inspect.isawaitable(out):
            return out

        async def settled() -> list[LiveResource]:
            return await out

        if self.loop is not None:
            return asyncio.run_coroutine_threadsafe(settled(), self.loop).result()
        return asyncio.run(settled())


class ResourceRef(TypedDict):
    """A resource in a live report."""

    #: Its state address; ``None`` for an unmanaged resource.
    address: Optional[str]
    resource_type: str
    id: str


class LiveChange(TypedDict):
    """An attribute changed outside Terraform."""

    address: str
    resource_type: str
    id: str
    #: ``tags.Env``: segments joined by dots.
    path: str
    #: :data:`SENSITIVE` when sensitive (then never compared).
    state: Any
    live: Any


class LiveDrift(TypedDict):
    """What :func:`compare_live` returns."""

    #: In state and live.
    managed: list[ResourceRef]
    #: In state, not live: deleted outside Terraform.
    missing: list[ResourceRef]
    #: Live, in no state: made outside Terraform.
    unmanaged: list[ResourceRef]
    changed: list[LiveChange]
    #: State addresses of types the inventory does not list.
    unsupported: list[str]
    #: Resources the ignore patterns left out.
    ignored: int
    #: managed / (managed + unmanaged), 0 to 1.
    coverage: float


def compare_live(
    state: Union[str, "os.PathLike[str]"],
    inventory: Union[AwsInventory, Inventory, Mapping[str, Sequence[LiveResource]]],
    *,
    ignore: Optional[Union[str, "os.PathLike[str]"]] = None,
    ignore_patterns: Sequence[str] = (),
    strict: bool = False,
    resource_types: Optional[Sequence[str]] = None,
) -> LiveDrift:
    """Compare the managed resources of the state at ``state`` with what
    ``inventory`` lists: an :class:`AwsInventory`, an object with
    ``resource_types()`` and ``list(resource_type)`` (:class:`Inventory`),
    or a dict of resources already listed, by type.

    Matching is by type and ``id``. Each attribute the inventory lists and
    state holds is compared: maps key by key, lists as sets, JSON documents
    (IAM policies) by value, and ``None``, ``""``, ``[]`` and ``{}`` alike.
    Sensitive state values are never compared or reported.

    ``ignore`` is a ``.driftignore`` file and ``ignore_patterns`` more of
    its lines: ``TYPE.ID`` leaves out a resource, ``TYPE.ID.PATH`` an
    attribute, ``*`` matches any run of characters, ``!`` takes back what
    earlier lines left out. ``strict`` reports the cloud's own defaults
    (default VPC, subnets, security group) as unmanaged too.
    ``resource_types`` limits what is listed. What an inventory of yours
    raises is raised again as it is; AWS failures raise
    :class:`infrarag.ProviderError` naming the operation."""
    return _compare_live(state, inventory, None, ignore, ignore_patterns, strict, resource_types)


def _compare_live(
    state: Union[str, "os.PathLike[str]"],
    inventory: Union[AwsInventory, Inventory, Mapping[str, Sequence[LiveResource]]],
    loop: Optional[asyncio.AbstractEventLoop],
    ignore: Optional[Union[str, "os.PathLike[str]"]],
    ignore_patterns: Sequence[str],
    strict: bool,
    resource_types: Optional[Sequence[str]],
) -> LiveDrift:
    text = ""
    if ignore is not None:
        with open(os.fspath(ignore), encoding="utf-8") as f:
            text = f.read()
    text = "\n".join([text, *ignore_patterns])
    given: Any
    if isinstance(inventory, Mapping):
        given = dict(inventory)
    elif isinstance(inventory, AwsInventory):
        given = inventory
    else:
        given = _Awaiting(inventory, loop)
    return cast(
        LiveDrift,
        _native.drift_compare_live(
            os.fspath(state),
            given,
            ignore=text,
            strict=strict,
            resource_types=list(resource_types) if resource_types is not None else None,
        ),
    )


def sarif(
    state: Union[str, "os.PathLike[str]"],
    *,
    config: Optional[ConfigDrift] = None,
    live: Optional[LiveDrift] = None,
) -> dict[str, Any]:
    """The findings of :func:`compare_config` and :func:`compare_live`
    reports as one SARIF 2.1.0 run (rules ``config/*`` and ``drift/*``),
    each pointing at the state file ``state`` and naming its resource as a
    logical location."""
    return _native.drift_sarif(os.fspath(state), config=config, live=live)


async def compare_live_async(
    state: Union[str, "os.PathLike[str]"],
    inventory: Union[AwsInventory, Inventory, Mapping[str, Sequence[LiveResource]]],
    *,
    ignore: Optional[Union[str, "os.PathLike[str]"]] = None,
    ignore_patterns: Sequence[str] = (),
    strict: bool = False,
    resource_types: Optional[Sequence[str]] = None,
) -> LiveDrift:
    """:func:`compare_live` on a worker thread; an inventory's ``async def
    list`` runs on this event loop meanwhile."""
    loop = asyncio.get_running_loop()
    return await asyncio.to_thread(
        _compare_live, state, inventory, loop, ignore, ignore_patterns, strict, resource_types
    )


compare_config_async = on_thread(compare_config)
read_state_async = on_thread(read_state)
read_plan_async = on_thread(read_plan)
read_plan_stream_async = on_thread(read_plan_stream)

__all__ = [
    "SENSITIVE",
    "AttributeDrift",
    "AwsInventory",
    "Inventory",
    "LiveChange",
    "LiveDrift",
    "LiveResource",
    "ResourceRef",
    "Change",
    "ConfigDrift",
    "Instance",
    "Output",
    "Plan",
    "RelevantAttribute",
    "Resource",
    "ResourceChange",
    "State",
    "compare_config",
    "compare_config_async",
    "compare_live",
    "compare_live_async",
    "read_plan",
    "read_plan_async",
    "read_plan_stream",
    "read_plan_stream_async",
    "read_state",
    "read_state_async",
    "sarif",
]
