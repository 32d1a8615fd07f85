"""Customer and tenant details nodes (``metadata.TbGetCustomerDetailsNode``,
``metadata.TbGetTenantDetailsNode``).

``detailsList`` names contact fields (TITLE, COUNTRY, STATE, CITY, ZIP, ADDRESS, ADDRESS2,
PHONE, EMAIL, ADDITIONAL_INFO); each found value is added as ``customer_<field>`` /
``tenant_<field>`` (``customer_title``, ``tenant_additionalInfo``…) to the body or the
metadata (``fetchTo``; version 0's ``addToMetadata`` is upgraded). The customer is the
originator's (the message's ``customerId``, or the originator itself when it is a
customer); no customer is a Failure. Reads are scoped to the message's tenant.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

import orjson
import sqlalchemy as sa

from industryos.entities.ids import NULL_UUID, EntityType
from industryos.msg import Msg
from industryos.rules.errors import NodeConfigError, NodeFailure
from industryos.rules.labels import Label
from industryos.rules.nodes.base import (
    ComponentType,
    Descriptor,
    Emit,
    NodeConfig,
    NodeContext,
    RuleNode,
    Service,
)
from industryos.rules.nodes.enrichment import FETCH_TO, put_all
from industryos.storage import schema
from industryos.storage.database import Database

__all__ = ["EntityDetails"]

PREFIX = "org.thingsboard.rule.engine."
DETAILS: dict[str, tuple[str, str]] = {
    "TITLE": ("title", "title"),
    "COUNTRY": ("country", "country"),
    "STATE": ("state", "state"),
    "CITY": ("city", "city"),
    "ZIP": ("zip", "zip"),
    "ADDRESS": ("address", "address"),
    "ADDRESS2": ("address2", "address2"),
    "PHONE": ("phone", "phone"),
    "EMAIL": ("email", "email"),
    "ADDITIONAL_INFO": ("additional_info", "additionalInfo"),
}
"""Detail → (column, wire name after the prefix)."""


class EntityDetails:
    """Contact details of a tenant's customers and of the tenant itself."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def details(
        self, tenant_id: uuid.UUID, entity_type: EntityType, entity_id: uuid.UUID
    ) -> dict[str, Any] | None:
        """Column → value of the customer (of this tenant) or of the tenant; None if absent."""
        if entity_type is EntityType.CUSTOMER:
            table = schema.customer
            query = sa.select(table).where(table.c.id == entity_id, table.c.tenant_id == tenant_id)
        elif entity_type is EntityType.TENANT and entity_id == tenant_id:
            table = schema.tenant
            query = sa.select(table).where(table.c.id == tenant_id)
        else:
            return None
        async with self._db.read() as conn:
            row = (await conn.execute(query)).mappings().first()
        return None if row is None else dict(row)

    async def credentials(
        self, tenant_id: uuid.UUID, device_id: uuid.UUID
    ) -> tuple[str, str, str | None] | None:
        """(type, id, value) of a device of the tenant; None if there is no such device."""
        creds, device = schema.device_credentials, schema.device
        query = (
            sa.select(creds.c.credentials_type, creds.c.credentials_id, creds.c.credentials_value)
            .select_from(creds.join(device, device.c.id == creds.c.device_id))
            .where(creds.c.device_id == device_id, device.c.tenant_id == tenant_id)
        )
        async with self._db.read() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else (row[0], row[1], row[2])


class _DetailsNode(RuleNode):
    prefix: ClassVar[str]
    requires = frozenset({Service.DETAILS})

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._details = ctx.details()
        wanted = config.str_list("detailsList")
        unknown = [d for d in wanted if d not in DETAILS]
        if unknown:
            raise NodeConfigError(f"{self.clazz}: unknown details {', '.join(unknown)}")
        self._wanted = wanted
        self._fetch_to = config.choice("fetchTo", FETCH_TO, "DATA")

    async def source(self, msg: Msg) -> tuple[EntityType, uuid.UUID] | None:
        """Whose details."""
        raise NotImplementedError

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Add the listed details that have a value."""
        source = await self.source(msg)
        row = None if source is None else await self._details.details(msg.tenant_id, *source)
        if row is None:
            raise NodeFailure(f"No {self.prefix.rstrip('_')} found for the message originator")
        found = {
            self.prefix + DETAILS[d][1]: row[DETAILS[d][0]]
            for d in self._wanted
            if row.get(DETAILS[d][0]) is not None
        }
        return [Emit(Label.SUCCESS, put_all(msg, found, self._fetch_to))]

    @classmethod
    def upgrade(cls, from_version: int, configuration: dict[str, Any]) -> dict[str, Any]:
        """v0 ``addToMetadata`` → v1 ``fetchTo``."""
        if from_version >= 1 or "fetchTo" in configuration:
            return configuration
        upgraded = {k: v for k, v in configuration.items() if k != "addToMetadata"}
        upgraded["fetchTo"] = "METADATA" if configuration.get("addToMetadata") else "DATA"
        return upgraded


class GetCustomerDetailsNode(_DetailsNode):
    """The originator's customer's details, prefixed ``customer_``."""

    clazz = PREFIX + "metadata.TbGetCustomerDetailsNode"
    prefix = "customer_"
    descriptor = Descriptor(
        ComponentType.ENRICHMENT,
        "customer details",
        "Adds message originator customer details into message or message metadata",
        default_configuration={"detailsList": [], "fetchTo": "DATA"},
        configuration_version=1,
    )

    async def source(self, msg: Msg) -> tuple[EntityType, uuid.UUID] | None:
        """The message's customer (or the originator when it is one)."""
        if msg.originator.entity_type is EntityType.CUSTOMER:
            return EntityType.CUSTOMER, msg.originator.id
        if msg.customer_id == NULL_UUID:
            return None
        return EntityType.CUSTOMER, msg.customer_id


class GetTenantDetailsNode(_DetailsNode):
    """The tenant's details, prefixed ``tenant_``."""

    clazz = PREFIX + "metadata.TbGetTenantDetailsNode"
    prefix = "tenant_"
    descriptor = Descriptor(
        ComponentType.ENRICHMENT,
        "tenant details",
        "Adds message originator tenant details into message or message metadata",
        default_configuration={"detailsList": [], "fetchTo": "DATA"},
        configuration_version=1,
    )

    async def source(self, msg: Msg) -> tuple[EntityType, uuid.UUID] | None:
        """Always the tenant."""
        return EntityType.TENANT, msg.tenant_id


class FetchDeviceCredentialsNode(RuleNode):
    """The originator device's credentials as ``credentialsType`` and ``credentials``
    (``metadata.TbFetchDeviceCredentialsNode``): the token for ACCESS_TOKEN, the parsed
    ``{clientId, userName, password}`` for MQTT_BASIC, the certificate PEM for X509."""

    clazz = PREFIX + "metadata.TbFetchDeviceCredentialsNode"
    requires = frozenset({Service.DETAILS})
    descriptor = Descriptor(
        ComponentType.ENRICHMENT,
        "fetch device credentials",
        "Adds device credentials to the message or message metadata",
        default_configuration={"fetchTo": "METADATA"},
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._details = ctx.details()
        self._fetch_to = config.choice("fetchTo", FETCH_TO, "METADATA")

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Device originators only."""
        if msg.originator.entity_type is not EntityType.DEVICE:
            raise NodeFailure("Originator type is not DEVICE")
        found = await self._details.credentials(msg.tenant_id, msg.originator.id)
        if found is None:
            raise NodeFailure(f"Failed to get Device Credentials for device: {msg.originator.id}")
        kind, credentials_id, value = found
        info: Any = credentials_id
        if kind == "X509_CERTIFICATE":
            info = value
        elif value:
            try:
                info = orjson.loads(value)
            except orjson.JSONDecodeError:
                info = value
        values = {"credentialsType": kind, "credentials": info}
        return [Emit(Label.SUCCESS, put_all(msg, values, self._fetch_to))]


NODES: tuple[type[RuleNode], ...] = (
    GetCustomerDetailsNode,
    GetTenantDetailsNode,
    FetchDeviceCredentialsNode,
)
