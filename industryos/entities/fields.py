"""Field types shared by the entity models, and the wire conventions they encode.

Entity models are pydantic models with snake_case attributes and camelCase JSON names, so
one definition serves validation at the REST edge, OpenAPI, the wire shape and the row
mapping in ``storage`` (attribute name == column name). Ids are plain ``UUID`` attributes
that travel as ``{"entityType": ..., "id": ...}`` objects (spec platform-api §1.1).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.alias_generators import to_camel
from pydantic_core import core_schema

from industryos.entities.ids import EntityType


class IdOf:
    """Marks a ``UUID`` field as an entity id of one type (or a plain ``{"id"}`` id).

    On input it accepts ``{"id": "..."}`` objects (the entity type is implied by the field)
    or bare UUID strings; on output it writes ``{"entityType": ..., "id": ...}``.
    """

    def __init__(self, entity_type: EntityType | None) -> None:
        self.entity_type = entity_type

    def _serialize(self, value: uuid.UUID) -> dict[str, str]:
        if self.entity_type is None:
            return {"id": str(value)}
        return {"entityType": self.entity_type.value, "id": str(value)}

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(
            _read_id,
            handler(source),
            serialization=core_schema.plain_serializer_function_ser_schema(
                self._serialize, when_used="json"
            ),
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        properties: dict[str, Any] = {
            "id": {"type": "string", "format": "uuid"},
            "entityType": {"type": "string"},
        }
        if self.entity_type is not None:
            properties["entityType"]["enum"] = [self.entity_type.value]
        return {"type": "object", "properties": properties, "required": ["id"]}


def _read_id(value: Any) -> Any:
    if isinstance(value, dict):
        if "id" not in value:
            raise ValueError("entity id object must have an 'id'")
        return value["id"]
    return value


TenantId = Annotated[uuid.UUID, IdOf(EntityType.TENANT)]
TenantProfileId = Annotated[uuid.UUID, IdOf(EntityType.TENANT_PROFILE)]
CustomerId = Annotated[uuid.UUID, IdOf(EntityType.CUSTOMER)]
UserId = Annotated[uuid.UUID, IdOf(EntityType.USER)]
DeviceId = Annotated[uuid.UUID, IdOf(EntityType.DEVICE)]
DeviceProfileId = Annotated[uuid.UUID, IdOf(EntityType.DEVICE_PROFILE)]
AssetId = Annotated[uuid.UUID, IdOf(EntityType.ASSET)]
AssetProfileId = Annotated[uuid.UUID, IdOf(EntityType.ASSET_PROFILE)]
RuleChainId = Annotated[uuid.UUID, IdOf(EntityType.RULE_CHAIN)]
DashboardId = Annotated[uuid.UUID, IdOf(EntityType.DASHBOARD)]
OtaPackageId = Annotated[uuid.UUID, IdOf(EntityType.OTA_PACKAGE)]
PlainId = Annotated[uuid.UUID, IdOf(None)]

JsonObject = dict[str, Any]


class WireModel(BaseModel):
    """Base of every entity model: camelCase on the wire, unknown fields tolerated."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        validate_assignment=False,
        ser_json_inf_nan="null",
    )

    def to_wire(self) -> dict[str, Any]:
        """The JSON-ready dict of this entity as the REST contract shapes it."""
        return self.model_dump(mode="json", by_alias=True)


class EntityRow(WireModel):
    """Columns every stored entity has: id and creation time."""

    id: uuid.UUID | None = None
    created_time: int | None = None
