"""What Terraform recorded as deployed and planned: state files (format 4),
``terraform show -json`` state and plan output (formats 0.1 to 1.x), and
the ``terraform plan -json`` message stream, read with every sensitive
value masked.

A sensitive value reads ``"(sensitive value)"`` wherever it appears: where
Terraform marks it, and wherever the same value is copied (Terraform marks
a value where it is set, not where another attribute repeats it).

Every call releases the GIL while the Rust core works. Bad input raises
:class:`infrarag.ParseError` naming the file, line, column and, for JSON of
the wrong shape, the JSON path (``resources[0].instances[0].index_key``);
an unreadable file raises :class:`infrarag.StorageError`.
"""

from __future__ import annotations

import os
from typing import Any, Literal, Mapping, Optional, Sequence, TypedDict, Union, cast

from infrarag import _native
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
    changed when its configured value is wholly known, not sensitive, and
    differs from state's; ``moved`` blocks of the root module rename state
    addresses first."""
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


compare_config_async = on_thread(compare_config)
read_state_async = on_thread(read_state)
read_plan_async = on_thread(read_plan)
read_plan_stream_async = on_thread(read_plan_stream)

__all__ = [
    "SENSITIVE",
    "AttributeDrift",
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
    "read_plan",
    "read_plan_async",
    "read_plan_stream",
    "read_plan_stream_async",
    "read_state",
    "read_state_async",
]
