"""Time-series storage: narrow ``ts_kv`` rows, latest values, a batch writer, retention.

:class:`TimeseriesStorage` builds the pieces for one engine from the node's settings; the
node wires ``writer`` and ``store`` into the telemetry service and calls ``retention.run``
from its scheduler.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.storage.engine import is_sqlite
from industryos.storage.timeseries.keys import KeyDictionary
from industryos.storage.timeseries.partitions import PgPartitions, is_partition_table
from industryos.storage.timeseries.retention import RetentionReport, TsRetention
from industryos.storage.timeseries.schema import ts_kv, ts_kv_latest
from industryos.storage.timeseries.store import TimeseriesStore
from industryos.storage.timeseries.writer import TsBatchWriter, WriterStats

__all__ = [
    "KeyDictionary",
    "PgPartitions",
    "RetentionReport",
    "TimeseriesStorage",
    "TimeseriesStore",
    "TsBatchWriter",
    "TsRetention",
    "WriterStats",
    "is_partition_table",
    "ts_kv",
    "ts_kv_latest",
]


@dataclass(frozen=True, slots=True)
class TimeseriesStorage:
    """The time-series pieces of one node, sharing one key dictionary and partition cache."""

    keys: KeyDictionary
    writer: TsBatchWriter
    store: TimeseriesStore
    retention: TsRetention
    partitions: PgPartitions | None

    @classmethod
    def create(
        cls,
        engine: AsyncEngine,
        *,
        partition_days: int = 7,
        flush_interval_ms: int = 100,
        batch_max_points: int = 20_000,
        default_ttl_days: int = 365,
        keys: KeyDictionary | None = None,
    ) -> TimeseriesStorage:
        """Build the pieces for ``engine`` (pass the settings ``ts_*`` values)."""
        keys = keys or KeyDictionary(engine)
        partitions = None if is_sqlite(engine) else PgPartitions(engine, partition_days)
        return cls(
            keys=keys,
            writer=TsBatchWriter(
                engine,
                keys,
                flush_interval_ms=flush_interval_ms,
                max_points=batch_max_points,
                partitions=partitions,
            ),
            store=TimeseriesStore(engine, keys),
            retention=TsRetention(engine, default_ttl_days=default_ttl_days, partitions=partitions),
            partitions=partitions,
        )
