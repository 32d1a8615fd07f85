"""Assets (buildings, lines, machines) and asset profiles."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from industryos.entities.fields import (
    AssetId,
    AssetProfileId,
    CustomerId,
    DashboardId,
    EntityRow,
    RuleChainId,
    TenantId,
)
from industryos.entities.ids import NULL_UUID


class AssetProfile(EntityRow):
    """An asset profile, unique by name inside its tenant."""

    id: AssetProfileId | None = None
    tenant_id: TenantId | None = None
    name: str = Field(min_length=1, max_length=255)
    description: str | None = None
    image: str | None = None
    is_default: bool = Field(False, alias="default")
    default_rule_chain_id: RuleChainId | None = None
    default_dashboard_id: DashboardId | None = None
    default_queue_name: str | None = None
    default_edge_rule_chain_id: RuleChainId | None = None
    external_id: AssetProfileId | None = None
    version: int | None = None


class Asset(EntityRow):
    """An asset, unique by name inside its tenant."""

    id: AssetId | None = None
    tenant_id: TenantId | None = None
    customer_id: CustomerId = NULL_UUID
    asset_profile_id: AssetProfileId | None = None
    name: str = Field(min_length=1, max_length=255)
    type: str | None = Field(None, max_length=255)
    label: str | None = Field(None, max_length=255)
    additional_info: Any = None
    external_id: AssetId | None = None
    version: int | None = None


class AssetInfo(Asset):
    """An asset with the names of its owner and profile."""

    customer_title: str | None = None
    customer_is_public: bool = False
    asset_profile_name: str | None = None
