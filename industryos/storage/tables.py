"""Every table of the node, gathered on one ``metadata`` (migrations compare against it)."""

from __future__ import annotations

from industryos.alarms import schema as _alarms_schema  # noqa: F401
from industryos.alarms.rules import schema as _alarm_rules_schema  # noqa: F401
from industryos.devices import rpc_schema as _rpc_schema  # noqa: F401
from industryos.devices.ota import schema as _ota_schema  # noqa: F401
from industryos.entities import dashboard_schema as _dashboard_schema  # noqa: F401
from industryos.notify import schema as _notify_schema  # noqa: F401
from industryos.rules import schema as _rules_schema  # noqa: F401
from industryos.rules.events import schema as _rule_events_schema  # noqa: F401
from industryos.storage.schema import metadata
from industryos.storage.timeseries import schema as _timeseries_schema  # noqa: F401

__all__ = ["metadata"]
