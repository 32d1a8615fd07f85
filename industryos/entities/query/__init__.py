"""The entity data query (platform-api §3.9): typed model, SQL translation and service."""

from industryos.entities.query.model import (
    EntityCountQuery,
    EntityDataQuery,
    EntityKey,
    KeyFilter,
    parse_count_query,
    parse_data_query,
    parse_keys,
)
from industryos.entities.query.render import MISSING, EntityData
from industryos.entities.query.service import EntityPage, EntityQueryService

__all__ = [
    "MISSING",
    "EntityCountQuery",
    "EntityData",
    "EntityDataQuery",
    "EntityKey",
    "EntityPage",
    "EntityQueryService",
    "KeyFilter",
    "parse_count_query",
    "parse_data_query",
    "parse_keys",
]
