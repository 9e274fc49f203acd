"""What infrarag knows of the aws, azurerm and google providers without
running them: every resource and data-source type, its schema, and the
description and category its documentation gives. The same schemas drive
:func:`infrarag.validate`'s ``schema.*`` checks.

The data is compiled into the library (aws 6.25.0, azurerm 4.55.0, google
6.50.0) and decoded the first time a provider is asked for.
"""

from __future__ import annotations

from typing import Any, Literal, Optional, TypedDict, cast

from infrarag import _native


class Attribute(TypedDict):
    """An attribute: whether configuration must or may set it, whether the
    provider may decide it, and its type in Terraform's JSON notation
    (``"string"``, ``["list", "string"]``)."""

    required: bool
    optional: bool
    computed: bool
    type: Any


class Block(TypedDict):
    """A nested block type: how it repeats, its limits, its body."""

    #: ``"single"``, ``"list"``, ``"set"``, ``"map"``, or ``"opaque"``
    #: (a body the schema does not describe).
    nesting: str
    min_items: int
    #: ``None`` when unlimited.
    max_items: Optional[int]
    attributes: dict[str, Attribute]
    blocks: dict[str, "Block"]


class TypeDescription(TypedDict):
    """What :func:`describe` returns."""

    type: str
    kind: Literal["resource", "data"]
    #: The provider's local name: ``"aws"``.
    provider: str
    #: ``"registry.terraform.io/hashicorp/aws"``.
    source: str
    #: The provider version the schema is of.
    version: str
    #: The provider version the description was taken from.
    docs_version: str
    #: ``None`` for types newer than the documentation.
    description: Optional[str]
    category: Optional[str]
    attributes: dict[str, Attribute]
    blocks: dict[str, Block]


def describe(type_name: str) -> TypeDescription:
    """Describe a resource type (``"aws_s3_bucket"``) or a data source
    (``"data.aws_ami"``): its provider and versions, description, category,
    arguments and nested blocks.

    Raises :class:`infrarag.InvalidArgumentError` for a type no embedded
    provider has, naming the nearest one.

    >>> kms = describe("aws_kms_key")
    >>> kms["category"], kms["attributes"]["enable_key_rotation"]["optional"]
    ('KMS (Key Management)', True)
    """
    return cast(TypeDescription, _native.providers_describe(type_name))


__all__ = ["Attribute", "Block", "TypeDescription", "describe"]
