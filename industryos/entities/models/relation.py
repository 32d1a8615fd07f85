"""Relations: typed, directed edges between any two entities."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from pydantic import Field

from industryos.entities.fields import WireModel
from industryos.entities.ids import EntityType


class RelationTypeGroup(StrEnum):
    """Which subsystem a relation belongs to; users work in COMMON."""

    COMMON = "COMMON"
    DASHBOARD = "DASHBOARD"
    RULE_CHAIN = "RULE_CHAIN"
    RULE_NODE = "RULE_NODE"
    EDGE = "EDGE"
    EDGE_AUTO_ASSIGN_RULE_CHAIN = "EDGE_AUTO_ASSIGN_RULE_CHAIN"


class EntityRef(WireModel):
    """An id object with its type, as relations carry them."""

    entity_type: EntityType
    id: uuid.UUID


class EntityRelation(WireModel):
    """A relation ``from`` → ``to`` of a ``type`` in a ``typeGroup``."""

    from_: EntityRef = Field(alias="from")
    to: EntityRef
    type: str = Field(min_length=1, max_length=255)
    type_group: RelationTypeGroup = RelationTypeGroup.COMMON
    additional_info: Any = None
    version: int | None = None
