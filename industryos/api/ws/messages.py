"""Server → client messages (platform-api §4.5), serialised once with orjson.

v1 updates (ATTRIBUTES, TIMESERIES, TIMESERIES_HISTORY) are keyed by ``subscriptionId``;
v2 replies (ENTITY_DATA, COUNT_DATA, …) are ``CmdUpdate`` objects keyed by ``cmdId``.
Builders return the JSON text that goes straight into a session's outbox.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from industryos.api.ws.codes import CmdUpdateType, ErrorCode

__all__ = [
    "Points",
    "alarm_count_update",
    "alarm_data_page",
    "alarm_data_update",
    "alarm_status_update",
    "cmd_error",
    "count_update",
    "entity_data_page",
    "entity_data_update",
    "points_update",
    "subscription_error",
]

Points = Mapping[str, list[list[Any]]]
"""``{key: [[ts, "value"], …]}``."""


def _dumps(message: dict[str, Any]) -> str:
    return orjson.dumps(message).decode()


def points_update(subscription_id: int, data: Points) -> str:
    """A v1 update: data per key and the newest ts of each key."""
    latest = {key: max(point[0] for point in points) for key, points in data.items() if points}
    return _dumps(
        {
            "subscriptionId": subscription_id,
            "errorCode": 0,
            "errorMsg": None,
            "data": data,
            "latestValues": latest,
        }
    )


def subscription_error(subscription_id: int, code: ErrorCode, message: str | None = None) -> str:
    """A v1 error update."""
    return _dumps(
        {
            "subscriptionId": subscription_id,
            "errorCode": int(code),
            "errorMsg": message or code.default_message,
            "data": {},
            "latestValues": {},
        }
    )


def cmd_error(
    cmd_id: int, update_type: CmdUpdateType, code: ErrorCode, message: str | None = None
) -> str:
    """A v2 error reply."""
    return _dumps(
        {
            "cmdId": cmd_id,
            "cmdUpdateType": update_type.value,
            "errorCode": int(code),
            "errorMsg": message or code.default_message,
        }
    )


def entity_data_page(cmd_id: int, page: dict[str, Any], allowed_entities: int) -> str:
    """The first ENTITY_DATA reply: the full page in ``data``."""
    return _dumps(
        {
            "cmdId": cmd_id,
            "cmdUpdateType": CmdUpdateType.ENTITY_DATA.value,
            "errorCode": 0,
            "errorMsg": None,
            "data": page,
            "update": None,
            "allowedEntities": allowed_entities,
        }
    )


def entity_data_update(cmd_id: int, update: Iterable[dict[str, Any]], allowed_entities: int) -> str:
    """A later ENTITY_DATA push: only the changed entities and keys in ``update``."""
    return _dumps(
        {
            "cmdId": cmd_id,
            "cmdUpdateType": CmdUpdateType.ENTITY_DATA.value,
            "errorCode": 0,
            "errorMsg": None,
            "data": None,
            "update": list(update),
            "allowedEntities": allowed_entities,
        }
    )


def count_update(cmd_id: int, count: int) -> str:
    """An ENTITY_COUNT reply."""
    return _dumps(
        {
            "cmdId": cmd_id,
            "cmdUpdateType": CmdUpdateType.COUNT_DATA.value,
            "errorCode": 0,
            "errorMsg": None,
            "count": count,
        }
    )


def alarm_data_page(
    cmd_id: int, page: dict[str, Any], allowed_entities: int, total_entities: int
) -> str:
    """An ALARM_DATA reply with the full page in ``data`` (first, or the page changed)."""
    return _dumps(
        {
            "cmdId": cmd_id,
            "cmdUpdateType": CmdUpdateType.ALARM_DATA.value,
            "errorCode": 0,
            "errorMsg": None,
            "data": page,
            "update": None,
            "allowedEntities": allowed_entities,
            "totalEntities": total_entities,
        }
    )


def alarm_data_update(
    cmd_id: int, update: Iterable[dict[str, Any]], allowed_entities: int, total_entities: int
) -> str:
    """An ALARM_DATA push: only the changed ``AlarmData`` in ``update``."""
    return _dumps(
        {
            "cmdId": cmd_id,
            "cmdUpdateType": CmdUpdateType.ALARM_DATA.value,
            "errorCode": 0,
            "errorMsg": None,
            "data": None,
            "update": list(update),
            "allowedEntities": allowed_entities,
            "totalEntities": total_entities,
        }
    )


def alarm_count_update(cmd_id: int, count: int) -> str:
    """An ALARM_COUNT reply."""
    return _dumps(
        {
            "cmdId": cmd_id,
            "cmdUpdateType": CmdUpdateType.ALARM_COUNT_DATA.value,
            "errorCode": 0,
            "errorMsg": None,
            "count": count,
        }
    )


def alarm_status_update(cmd_id: int, active: bool) -> str:
    """An ALARM_STATUS reply: whether the originator has a matching active alarm."""
    return _dumps(
        {
            "cmdId": cmd_id,
            "cmdUpdateType": CmdUpdateType.ALARM_STATUS.value,
            "errorCode": 0,
            "errorMsg": None,
            "active": active,
        }
    )
