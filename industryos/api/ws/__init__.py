"""The WebSocket API (platform-api §4): live telemetry, entity data, alarms and counts.

``install(app, WsServices(...))`` mounts ``/api/ws`` and ``/api/ws/plugins/telemetry``.
Updates are pushed from the telemetry listeners (never by polling the database) through a
bounded per-session outbox. Module map: ``codes`` (wire constants), ``commands`` (both
envelopes), ``endpoint`` (auth, session tasks, close codes), ``session`` (dispatch and
error translation), ``outbox`` (backpressure), ``live`` (listener before snapshot),
``telemetry`` (v1 subscriptions), ``entity_data`` (v2 subscriptions), ``alarm_data``
(ALARM_DATA / ALARM_COUNT / ALARM_STATUS) with ``alarm_latest``, ``ts_cmds`` and
``entity_ts`` (an ENTITY_DATA page's history, live points and aggregates), ``changes``
(entity and alarm change feeds), ``cluster`` (the feeds relayed between cluster nodes),
``live_query`` and ``refresh`` (throttled re-queries), ``messages`` (update shapes),
``dispatch`` (the command table), ``services`` (what the node hands in).
"""

from industryos.api.ws.changes import EntityChangeTap, alarm_feed
from industryos.api.ws.cluster import ClusterFeeds
from industryos.api.ws.codes import CloseCode, CmdType, CmdUpdateType, ErrorCode, Reason
from industryos.api.ws.services import (
    STATE_ATTRIBUTE,
    Handler,
    WsLimits,
    WsServices,
    WsStats,
    install,
)

__all__ = [
    "STATE_ATTRIBUTE",
    "CloseCode",
    "ClusterFeeds",
    "CmdType",
    "CmdUpdateType",
    "EntityChangeTap",
    "ErrorCode",
    "Handler",
    "Reason",
    "WsLimits",
    "WsServices",
    "WsStats",
    "alarm_feed",
    "install",
]
