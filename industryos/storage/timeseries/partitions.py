"""PostgreSQL time partitions of ``ts_kv``: created on demand, cached, dropped by retention.

Partitions are ``ts_partition_days`` wide and aligned on multiples of that width since the
epoch, so boundaries fall on UTC midnight and a partition is named after its first day:
``ts_kv_2026_11_23``. The set of existing partitions (with their real bounds, read from the
catalog) is cached: the writer checks a batch's ts range against the cache, a dict lookup,
and touches the catalog only when a batch reaches a day no partition covers yet.

A partition is created as a plain table and then attached: ``ATTACH PARTITION`` takes a
lock on ``ts_kv`` that neither reads nor writes wait for, where ``CREATE TABLE … PARTITION
OF`` would take an exclusive one. A changed partition width keeps working: a new
partition is clipped so it never overlaps existing ones. Several nodes may create the same
partition at once; a cluster-wide advisory lock makes them take turns, and each rereads
the catalog once it holds the lock.

Design limit: a device sending timestamps scattered over centuries creates one partition
per distinct period it reaches; retention drops the old ones, far-future ones stay.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = [
    "PARTITION_NAME",
    "Partition",
    "PgPartitions",
    "include_in_migrations",
    "is_partition_table",
]

log = logging.getLogger(__name__)

DAY_MS = 86_400_000
PARTITION_NAME = re.compile(r"ts_kv_(\d{4})_(\d{2})_(\d{2})")
_BOUNDS = re.compile(r"FROM \('?(-?\d+)'?\) TO \('?(-?\d+)'?\)")
# Key of the session advisory lock that serializes partition creation between nodes.
_CREATOR_LOCK = 0x7453_4B56  # "tSKV"
_LIST_SQL = """
SELECT c.relname, pg_get_expr(c.relpartbound, c.oid)
FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'ts_kv'::regclass
"""


def is_partition_table(name: str) -> bool:
    """True for the name of a ``ts_kv`` partition (not declared in the metadata)."""
    return PARTITION_NAME.fullmatch(name) is not None


def include_in_migrations(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic ``include_object`` hook: leave out the partitions (and their indexes)."""
    table_name = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return not (reflected and table_name is not None and is_partition_table(table_name))


def partition_name(start_ms: int) -> str:
    """The name of the partition starting at ``start_ms`` (a UTC midnight)."""
    day = datetime.fromtimestamp(start_ms // 1000, UTC)
    return f"ts_kv_{day.year:04d}_{day.month:02d}_{day.day:02d}"


class Partition:
    """One child table and the ``[start, end)`` ts range it holds."""

    __slots__ = ("end", "name", "start")

    def __init__(self, name: str, start: int, end: int) -> None:
        self.name, self.start, self.end = name, start, end

    def __repr__(self) -> str:
        return f"Partition({self.name!r}, {self.start}, {self.end})"


class PgPartitions:
    """Creates, lists and drops the range partitions of ``ts_kv``."""

    def __init__(self, engine: AsyncEngine, partition_days: int) -> None:
        self._engine = engine
        self._width = partition_days * DAY_MS
        self._starts: list[int] = []
        self._partitions: list[Partition] = []
        self._lock = asyncio.Lock()

    @property
    def width_ms(self) -> int:
        """The width of a new partition."""
        return self._width

    def covers(self, ts: int) -> bool:
        """True if a known partition holds ``ts``."""
        index = bisect.bisect_right(self._starts, ts) - 1
        return index >= 0 and ts < self._partitions[index].end

    async def ensure(self, min_ts: int, max_ts: int, all_ts: Iterable[int]) -> None:
        """Make sure partitions exist for a batch whose ts lie in ``[min_ts, max_ts]``."""
        if self.covers(min_ts) and self.covers(max_ts) and self._contiguous(min_ts, max_ts):
            return
        async with self._lock, self._engine.connect() as conn:
            raw = await conn.get_raw_connection()
            pg: asyncpg.Connection = raw.driver_connection
            # One creator at a time across every node: concurrent CREATE TABLE IF NOT
            # EXISTS races in the catalog (pg_type) and fails instead of skipping.
            await pg.execute("SELECT pg_advisory_lock($1)", _CREATOR_LOCK)
            try:
                await self._reload(pg)
                needed = sorted({ts - ts % self._width for ts in all_ts if not self.covers(ts)})
                for start in needed:
                    if self.covers(start) and self.covers(start + self._width - 1):
                        continue
                    await self._create(pg, start)
                if needed:
                    await self._reload(pg)
            finally:
                await pg.execute("SELECT pg_advisory_unlock($1)", _CREATOR_LOCK)

    @property
    def known(self) -> tuple[Partition, ...]:
        """The partitions that exist, oldest first (as of the last refresh)."""
        return tuple(self._partitions)

    async def refresh(self) -> None:
        """Reload the partitions from the catalog."""
        async with self._engine.connect() as conn:
            raw = await conn.get_raw_connection()
            await self._reload(raw.driver_connection)

    async def _reload(self, pg: asyncpg.Connection) -> None:
        rows = await pg.fetch(_LIST_SQL)
        partitions = []
        for name, bound in rows:
            match = _BOUNDS.search(bound or "")
            if match:
                partitions.append(Partition(name, int(match[1]), int(match[2])))
        partitions.sort(key=lambda p: p.start)
        self._partitions = partitions
        self._starts = [p.start for p in partitions]

    async def drop_older_than(self, cutoff_ts: int) -> list[str]:
        """Drop every partition whose whole range is older than ``cutoff_ts``."""
        await self.refresh()
        dropped = []
        async with self._engine.connect() as conn:
            raw = await conn.get_raw_connection()
            pg: asyncpg.Connection = raw.driver_connection
            for partition in self._partitions:
                if partition.end > cutoff_ts:
                    break
                try:
                    async with pg.transaction():
                        # Dropping a child locks ts_kv exclusively: writers queue behind
                        # the drop while it waits for a long read, so it gives up after a
                        # second and the next run retries.
                        await pg.execute("SET LOCAL lock_timeout = '1s'")
                        await pg.execute(f'DROP TABLE IF EXISTS "{partition.name}"')
                except asyncpg.LockNotAvailableError:
                    log.warning("partition %s is busy; retention retries later", partition.name)
                    break
                dropped.append(partition.name)
        await self.refresh()
        return dropped

    def _contiguous(self, min_ts: int, max_ts: int) -> bool:
        first = bisect.bisect_right(self._starts, min_ts) - 1
        last = bisect.bisect_right(self._starts, max_ts) - 1
        return all(
            self._partitions[i].end == self._partitions[i + 1].start for i in range(first, last)
        )

    async def _create(self, pg: asyncpg.Connection, start: int) -> None:
        """Create the aligned partition at ``start``, clipped against its neighbours."""
        end = start + self._width
        index = bisect.bisect_right(self._starts, start) - 1
        if index >= 0:
            start = max(start, self._partitions[index].end)
        if index + 1 < len(self._partitions):
            end = min(end, self._partitions[index + 1].start)
        if start >= end:
            return
        # Names are derived from the start day: clipped starts are still UTC midnights
        # because every width is a whole number of days.
        name = partition_name(start)
        # CREATE TABLE … PARTITION OF would lock ts_kv exclusively and queue every reader
        # and writer behind any long query; ATTACH takes SHARE UPDATE EXCLUSIVE, which
        # neither reads nor writes conflict with. The primary key comes with LIKE, and
        # ATTACH adopts it as the partition's index of the parent's key.
        await pg.execute(f'CREATE TABLE IF NOT EXISTS "{name}" (LIKE ts_kv INCLUDING ALL)')
        await pg.execute(
            f'ALTER TABLE ts_kv ATTACH PARTITION "{name}" FOR VALUES FROM ({start}) TO ({end})'
        )
        log.info("created partition %s [%d, %d)", name, start, end)
        self._insert(Partition(name, start, end))

    def _insert(self, partition: Partition) -> None:
        index = bisect.bisect_left(self._starts, partition.start)
        self._starts.insert(index, partition.start)
        self._partitions.insert(index, partition)
