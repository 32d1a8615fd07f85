"""What rule nodes did, as events: debug IN/OUT, lifecycle, errors and statistics.

:class:`RuleEvents` is the debug hook every node's ``on_msg`` passes through (see
``nodes/base.py``). A node keeps a small :class:`NodeTrack` (its debug settings, loaded
once per chain version from ``rule_node`` and rebuilt after any chain change, and how much
of its counters its STATS events have reported); per message the node's wrapper checks
that track, and only a node with debug settings goes through :meth:`RuleEvents.run` and
builds events, which go to the :class:`EventWriter` buffer, never straight to the database.
The counts of the STATS events are the runtime's own counters of the node
(``NodeContext.stats``, which the chain's stats endpoint shows too), less what the node's
last STATS event reported.

Debug settings follow ThingsBoard: legacy ``debugMode: true`` or ``debugSettings.allEnabled``
or ``allEnabledUntil`` in the future → every IN and OUT event; ``failuresEnabled`` only →
the OUT events on ``Failure``. Independently of debug mode a node records LC_EVENT
``STARTED`` when it handles its first message (failed, with the reason, for a node whose
configuration could not be used), ERROR events for unexpected exceptions, and STATS events
(messages processed, errors) every ``stats_interval_s``.

An IN event carries, as ThingsBoard's ``relationType``, the relation type of the
connection the message arrived on (``ARRIVED_ON``, set by the runtime): e.g. ``Success`` or
``Post telemetry``; a chain's first node gets its caller's label, or an empty one for a
message from the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import orjson
import sqlalchemy as sa

from industryos.entities.ids import EntityType, new_id, now_ms
from industryos.msg import Msg
from industryos.rules.errors import NodeFailure, RuleEngineError
from industryos.rules.events.model import DebugDirection, Event, EventType
from industryos.rules.events.writer import EventWriter
from industryos.rules.labels import Label
from industryos.rules.nodes.base import ARRIVED_ON, Emit, NodeContext, NodeTrack, RuleNode
from industryos.rules.schema import rule_node
from industryos.storage.database import Database

__all__ = ["DebugMode", "RuleEvents", "debug_mode"]

log = logging.getLogger(__name__)

MAX_TEXT = 65_536
"""Longest data/metadata/error text kept in an event (characters)."""

Call = Callable[[RuleNode, Msg], Awaitable[list[Emit]]]


class DebugMode(IntEnum):
    """How much of a node's traffic becomes debug events."""

    OFF = 0
    FAILURES = 1
    ALL = 2


@dataclass(frozen=True, slots=True)
class _NodeDebug:
    base: DebugMode
    all_until: int

    def mode(self, now: int) -> DebugMode:
        return DebugMode.ALL if self.all_until > now else self.base


def debug_mode(legacy: bool, settings: Any) -> tuple[DebugMode, int]:
    """(mode, all-enabled-until ms) from ``debugMode`` and ``debugSettings``."""
    if legacy:
        return DebugMode.ALL, 0
    if not isinstance(settings, dict):
        return DebugMode.OFF, 0
    until = settings.get("allEnabledUntil")
    until_ms = int(until) if isinstance(until, int | float) and not isinstance(until, bool) else 0
    if settings.get("allEnabled") is True:
        return DebugMode.ALL, until_ms
    base = DebugMode.FAILURES if settings.get("failuresEnabled") is True else DebugMode.OFF
    return base, until_ms


def _cut(text: str | None) -> str | None:
    if text is None or len(text) <= MAX_TEXT:
        return text
    return text[:MAX_TEXT]


class RuleEvents:
    """The debug hook of the rule engine and the source of its node events."""

    def __init__(
        self,
        db: Database,
        writer: EventWriter,
        *,
        server: str | None = None,
        stats_interval_s: float = 3600.0,
    ) -> None:
        self._db = db
        self.writer = writer
        self.server = server or socket.gethostname()
        self._stats_interval_s = stats_interval_s
        self._chains: dict[uuid.UUID, dict[uuid.UUID, _NodeDebug]] = {}
        self._loading: dict[uuid.UUID, asyncio.Future[dict[uuid.UUID, _NodeDebug]]] = {}
        self._generation = 0
        self._tracks: dict[tuple[uuid.UUID, uuid.UUID], NodeTrack] = {}
        self._task: asyncio.Task[None] | None = None

    # -- settings ------------------------------------------------------------------------

    def chain_changed(self, tenant_id: uuid.UUID, chain_id: uuid.UUID | None) -> None:
        """Chain listener: forget the debug settings of a saved (or every) chain."""
        self._generation += 1
        if chain_id is None:
            self._chains.clear()
        else:
            self._chains.pop(chain_id, None)

    async def _settings(self, chain_id: uuid.UUID) -> dict[uuid.UUID, _NodeDebug]:
        found = self._chains.get(chain_id)
        if found is not None:
            return found
        loading = self._loading.get(chain_id)
        if loading is not None:
            return await asyncio.shield(loading)
        future: asyncio.Future[dict[uuid.UUID, _NodeDebug]] = (
            asyncio.get_running_loop().create_future()
        )
        self._loading[chain_id] = future
        generation = self._generation
        try:
            query = sa.select(rule_node.c.id, rule_node.c.debug_mode, rule_node.c.debug_settings)
            async with self._db.read() as conn:
                rows = (
                    await conn.execute(query.where(rule_node.c.rule_chain_id == chain_id))
                ).all()
            settings = {}
            for node_id, legacy, raw in rows:
                mode, until = debug_mode(bool(legacy), raw)
                if mode is not DebugMode.OFF or until:
                    settings[node_id] = _NodeDebug(mode, until)
            if generation == self._generation:
                self._chains[chain_id] = settings
            future.set_result(settings)
            return settings
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()
            raise
        finally:
            del self._loading[chain_id]

    # -- the hook ------------------------------------------------------------------------

    def track(self, node: RuleNode) -> NodeTrack | None:
        """The node's track while the settings it was built from are current."""
        track = node.debug_track
        if track is None or track.generation != self._generation:
            return None
        return track

    async def prepare(self, node: RuleNode) -> NodeTrack:
        """(Re)build the node's track; its first message also records LC_EVENT STARTED."""
        ctx = node.ctx
        generation = self._generation
        entry = (await self._settings(ctx.chain_id)).get(ctx.node_id)
        if node.debug_track is None:
            self._lifecycle(ctx, "STARTED", getattr(node, "reason", None))
            track = NodeTrack(generation, ctx.stats, entry)
            key = (ctx.tenant_id, ctx.node_id)
            replaced = self._tracks.get(key)
            if replaced is not None:  # the chain was rebuilt: report what the old one did
                processed, failed = _unreported(replaced)
                track.reported_processed, track.reported_failed = -processed, -failed
            self._tracks[key] = track
        else:
            track = node.debug_track
            track.generation, track.debug = generation, entry
        node.debug_track = track
        return track

    def error(self, node: RuleNode, exc: Exception) -> None:
        """An unexpected exception (not a node failure) is an ERROR event."""
        if not isinstance(exc, RuleEngineError):
            self._error(node.ctx, "onMsg", f"{type(exc).__name__}: {exc}")

    async def run(self, node: RuleNode, msg: Msg, call: Call, track: NodeTrack) -> list[Emit]:
        """Run a node that has debug settings, recording what its mode asks for."""
        ctx = node.ctx
        entry: _NodeDebug = track.debug
        mode = entry.mode(now_ms())
        if mode is DebugMode.ALL:
            self._debug(ctx, DebugDirection.IN, msg, ARRIVED_ON.get(), None)
        try:
            emits = await call(node, msg)
        except NodeFailure as exc:
            if mode is not DebugMode.OFF:
                self._debug(ctx, DebugDirection.OUT, exc.msg or msg, Label.FAILURE, str(exc))
            raise
        except RuleEngineError as exc:
            if mode is not DebugMode.OFF:
                self._debug(ctx, DebugDirection.OUT, msg, Label.FAILURE, str(exc))
            raise
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            self._error(ctx, "onMsg", error)
            if mode is not DebugMode.OFF:
                self._debug(ctx, DebugDirection.OUT, msg, Label.FAILURE, error)
            raise
        if mode is not DebugMode.OFF:
            self._outputs(ctx, emits, mode)
        return emits

    async def emitted_later(self, ctx: NodeContext, emits: Sequence[Emit]) -> None:
        """Messages a node sent on its own (timers): OUT events when it is debugged."""
        entry = (await self._settings(ctx.chain_id)).get(ctx.node_id)
        if entry is not None:
            mode = entry.mode(now_ms())
            if mode is not DebugMode.OFF:
                self._outputs(ctx, emits, mode)

    def _outputs(self, ctx: NodeContext, emits: Sequence[Emit], mode: DebugMode) -> None:
        for emit in emits:
            failed = emit.label == Label.FAILURE
            if mode is DebugMode.ALL or failed:
                error = emit.msg.metadata.get("error") if failed else None
                self._debug(ctx, DebugDirection.OUT, emit.msg, emit.label, error)

    # -- events --------------------------------------------------------------------------

    def _event(self, ctx: NodeContext, event_type: EventType, **fields: Any) -> Event:
        return Event(
            id=new_id(),
            created_time=now_ms(),
            tenant_id=ctx.tenant_id,
            entity_type=EntityType.RULE_NODE.value,
            entity_id=ctx.node_id,
            event_type=event_type.value,
            server=self.server,
            **fields,
        )

    def _debug(
        self,
        ctx: NodeContext,
        direction: DebugDirection,
        msg: Msg,
        relation: str | None,
        error: str | None,
    ) -> None:
        metadata = dict(msg.metadata)
        if error is not None:
            metadata["error"] = error
        self.writer.add(
            self._event(
                ctx,
                EventType.DEBUG_RULE_NODE,
                kind=direction.value,
                msg_id=msg.id,
                msg_type=msg.type,
                data_type="JSON",
                relation_type=relation,
                originator_type=msg.originator.entity_type.value,
                originator_id=msg.originator.id,
                data=_cut(msg.data),
                metadata=_cut(orjson.dumps(metadata).decode()),
                error=_cut(error),
            )
        )

    def _lifecycle(self, ctx: NodeContext, event: str, error: str | None) -> None:
        self.writer.add(
            self._event(
                ctx, EventType.LC_EVENT, kind=event, success=error is None, error=_cut(error)
            )
        )

    def _error(self, ctx: NodeContext, method: str, error: str) -> None:
        self.writer.add(self._event(ctx, EventType.ERROR, kind=method, error=_cut(error)))

    def flush_stats(self) -> int:
        """One STATS event per node that handled messages since the last call."""
        now = now_ms()
        written = 0
        for (tenant_id, node_id), track in self._tracks.items():
            processed, errors = _unreported(track)
            if not processed:
                continue
            track.reported_processed = track.stats.processed
            track.reported_failed = track.stats.failed
            written += 1
            self.writer.add(
                Event(
                    id=new_id(),
                    created_time=now,
                    tenant_id=tenant_id,
                    entity_type=EntityType.RULE_NODE.value,
                    entity_id=node_id,
                    event_type=EventType.STATS.value,
                    server=self.server,
                    messages_processed=processed,
                    errors_occurred=errors,
                )
            )
        return written

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Start the writer and the statistics timer."""
        await self.writer.start()
        self._task = asyncio.get_running_loop().create_task(self._stats_loop())

    async def stop(self) -> None:
        """Record the last statistics and write every buffered event."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.flush_stats()
        await self.writer.stop()

    async def _stats_loop(self) -> None:
        while True:
            await asyncio.sleep(self._stats_interval_s)
            self.flush_stats()


def _unreported(track: NodeTrack) -> tuple[int, int]:
    """(processed, failed) counted since the node's last STATS event."""
    return (
        track.stats.processed - track.reported_processed,
        track.stats.failed - track.reported_failed,
    )
