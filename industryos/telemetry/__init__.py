"""Telemetry: the key/value model, payload parsing, queries and the telemetry service."""

from industryos.telemetry.backends import (
    AttributeStore,
    LatestChanges,
    TimeseriesReader,
    TimeseriesWriter,
)
from industryos.telemetry.errors import (
    InvalidEntryError,
    InvalidQueryError,
    KvParseError,
    TelemetryError,
)
from industryos.telemetry.kv import (
    AttributeKvEntry,
    AttributeScope,
    DataType,
    KvEntry,
    TsKvEntry,
    kv_entry,
)
from industryos.telemetry.listeners import (
    AttributesDeleted,
    AttributesUpdated,
    Listener,
    ListenerRegistry,
    TelemetryEvent,
    TimeseriesDeleted,
    TimeseriesUpdated,
)
from industryos.telemetry.query import Aggregation, IntervalType, Order, TsQuery
from industryos.telemetry.service import TelemetryService

__all__ = [
    "Aggregation",
    "AttributeKvEntry",
    "AttributeScope",
    "AttributeStore",
    "AttributesDeleted",
    "AttributesUpdated",
    "DataType",
    "IntervalType",
    "InvalidEntryError",
    "InvalidQueryError",
    "KvEntry",
    "KvParseError",
    "LatestChanges",
    "Listener",
    "ListenerRegistry",
    "Order",
    "TelemetryError",
    "TelemetryEvent",
    "TelemetryService",
    "TimeseriesDeleted",
    "TimeseriesReader",
    "TimeseriesUpdated",
    "TimeseriesWriter",
    "TsKvEntry",
    "TsQuery",
    "kv_entry",
]
