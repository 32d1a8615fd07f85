"""Change feeds across cluster nodes: a change committed on node A reaches node B's sessions.

The feeds WebSocket subscriptions hear (telemetry and attribute writes, entity lifecycle
messages, alarm changes, WEB notification inbox changes) are in-process. On a node started
with a cluster bus (``bus_url``, core NATS), :class:`ClusterFeeds` joins them to the bus in
both directions:

* out: catch-all listeners on the node's feeds collect each locally committed event; one
  task encodes and sends what accumulated as one payload (subject :data:`SUBJECT`, orjson),
  so a burst of writes costs a few bus messages, and the write path only appends to a list.
  Time-series points go at both of their moments (``telemetry/listeners.py``): the points
  when the writer accepts them (``ta``, with the write's number), then a commit notice
  (``tc``) of a run of numbers (a batch commits the writes it accepted in order, so one
  notice covers most of a batch). So a subscriber on another node hears them when a local
  one does, instead of one flush interval and a commit later. Points go only to where they
  are heard (:mod:`.interest`: each node announces the entities its listeners hear points
  of): points of an entity no other node listens to are not sent at all (``withheld``).
  Points an entity gained its first remote listener for between their acceptance and their
  commit go at their commit, as committed (``tu``); and when a node learns of a new
  interest it sends the entity's commits of the last :data:`RECENT_S` to twice that again
  (``tu``), which the new listener may have missed between subscribing and its first read
  of the store (it may hear them twice);
* in: payloads of other nodes (a node skips its own by its random node id) are decoded and
  published into the local feeds exactly as a local commit (or acceptance) would be,
  reaching every local listener (WebSocket subscriptions, and device sessions for shared
  attributes); the out-listeners ignore what is being relayed, so nothing echoes back.
  Accepted points of an entity no local listener hears points of
  (``ListenerRegistry.hears_points``) are kept undecoded until their commit notice: most
  written points are nobody's on any one node, and decoding every other node's points cost
  a worker process ~10 % of its event loop. They are decoded then only if a listener has
  subscribed meanwhile. Accepted points whose notice never comes (their batch failed: the
  rule engine writes them again; or their node is gone) are forgotten after
  :data:`COMMIT_WAIT_S` to twice that.

An inbox change carries its recipient's user id (and a new notification's content); the
receiving node publishes it to that user's inbox listeners only, so the NOTIFICATIONS
subscriptions of that user on any node push what they would for a local change, and no
other user's session ever hears it.

Delivery is the bus's: at most once, in order per sending node. The out-buffer is bounded
(:data:`MAX_PENDING` events): when the bus cannot keep up, events are dropped and counted
(``ClusterFeeds.out.dropped``, a WARNING per burst) instead of growing memory; the
subscriptions they would have updated catch up on the next change.

Nodes of an older version send committed points as one ``tu`` change, which is still
understood; they log each ``ta`` and ``tc`` as an unknown change kind. This version counts
changes of a kind it does not know (``ClusterFeeds.unknown``) and logs each such kind once.

Design limit: one subject for every tenant, so each node decodes every event of the
cluster other than time-series points, also of tenants nobody on it watches.
"""

from __future__ import annotations

import base64
import logging
import math
import time
import uuid
from collections import deque
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any, ClassVar

import orjson

from industryos.alarms.model import Alarm
from industryos.api.ws.changes import AlarmChanged, EntityChanged
from industryos.api.ws.interest import LocalInterest, RemoteInterest
from industryos.msg import Msg
from industryos.notify.inbox import InboxChange
from industryos.queue.bus import Bus, Subscription
from industryos.queue.bus.batching import BatchedPublisher
from industryos.telemetry.kv import AttributeKvEntry, AttributeScope, DataType, TsKvEntry
from industryos.telemetry.listeners import (
    AttributesDeleted,
    AttributesUpdated,
    TelemetryEvent,
    TimeseriesDeleted,
    TimeseriesUpdated,
)

if TYPE_CHECKING:
    from industryos.api.ws.services import WsServices

__all__ = [
    "COMMIT_WAIT_S",
    "MAX_PENDING",
    "RECENT_S",
    "SUBJECT",
    "ClusterFeeds",
    "decode_telemetry",
    "encode_telemetry",
]

log = logging.getLogger(__name__)

SUBJECT = "industryos.feeds"
"""The bus subject every node publishes its committed changes on."""

MAX_PENDING = 50_000
"""Events waiting for the bus before new ones are dropped; also the most accepted points of
other nodes kept per generation while they await their commit notice."""

COMMIT_WAIT_S = 30.0
"""Another node's accepted points are forgotten this long (to twice this) without their
commit notice."""

RECENT_S = 0.5
"""This node's commits of points are kept this long (to twice this) to replay to a node that
starts listening to their entity (see the module doc)."""

_NOTICE_GAP = 256
"""A commit notice is extended over at most this many unsent numbers (its receiver looks
each number of the run up)."""

_UNKNOWN_KINDS_LOGGED = 20
"""Unknown change kinds logged (once each); past that they are only counted."""

Json = Any
_UUID_FIELDS = ("id", "tenant_id", "customer_id", "originator_id", "assignee_id")


def _ts(entry: TsKvEntry) -> list[Any]:
    return [entry.ts, entry.key, entry.value, entry.data_type.value]


def _value(raw: Any, data_type: DataType) -> Any:
    if raw is None and data_type is DataType.DOUBLE:
        return math.nan  # orjson writes NaN as null
    return raw


def _ts_entry(raw: list[Any]) -> TsKvEntry:
    data_type = DataType(raw[3])
    return TsKvEntry(int(raw[0]), str(raw[1]), _value(raw[2], data_type), data_type)


def _attr(entry: AttributeKvEntry) -> list[Any]:
    return [entry.key, entry.value, entry.data_type.value, entry.last_update_ts]


def _attr_entry(raw: list[Any]) -> AttributeKvEntry:
    data_type = DataType(raw[2])
    return AttributeKvEntry(str(raw[0]), _value(raw[1], data_type), data_type, int(raw[3]))


def encode_telemetry(event: TelemetryEvent) -> Json:
    """One telemetry event as JSON-ready data."""
    head = [str(event.tenant_id), str(event.entity_id)]
    if isinstance(event, TimeseriesUpdated):
        return ["tu", *head, [_ts(e) for e in event.entries]]
    if isinstance(event, TimeseriesDeleted):
        return ["td", *head, list(event.keys), [_ts(e) for e in event.latest]]
    if isinstance(event, AttributesUpdated):
        return ["au", *head, event.scope.value, [_attr(e) for e in event.entries]]
    return ["ad", *head, event.scope.value, list(event.keys)]


def decode_telemetry(kind: str, raw: list[Any]) -> TelemetryEvent:
    """Inverse of :func:`encode_telemetry` (``kind`` is its first item, ``raw`` the rest)."""
    tenant_id, entity_id = uuid.UUID(raw[0]), uuid.UUID(raw[1])
    if kind == "tu":
        return TimeseriesUpdated(tenant_id, entity_id, tuple(_ts_entry(e) for e in raw[2]))
    if kind == "td":
        latest = tuple(_ts_entry(e) for e in raw[3])
        return TimeseriesDeleted(tenant_id, entity_id, tuple(raw[2]), latest)
    scope = AttributeScope(raw[2])
    if kind == "au":
        return AttributesUpdated(tenant_id, entity_id, scope, tuple(_attr_entry(e) for e in raw[3]))
    return AttributesDeleted(tenant_id, entity_id, scope, tuple(raw[3]))


def _encoded(event: Json) -> Json:
    """A queued change as it goes on the bus (telemetry is encoded here, off the write path)."""
    if isinstance(event, list):
        return event
    if isinstance(event, tuple):  # accepted points: (number, TimeseriesUpdated)
        number, points = event
        return ["ta", number, *encode_telemetry(points)[1:]]
    return encode_telemetry(event)


class _AwaitingCommit:
    """Other nodes' accepted points by (node id, number), until their commit notice.

    Two generations, swapped every :data:`COMMIT_WAIT_S` (or when one holds
    :data:`MAX_PENDING`): an entry whose notice never comes is dropped one to two
    generations later, with no per-entry clock.
    """

    __slots__ = ("_current", "_previous", "_swap_at")

    def __init__(self) -> None:
        self._current: dict[tuple[str, int], Any] = {}
        self._previous: dict[tuple[str, int], Any] = {}
        self._swap_at = time.monotonic() + COMMIT_WAIT_S

    def put(self, key: tuple[str, int], entry: Any) -> None:
        now = time.monotonic()
        if now >= self._swap_at or len(self._current) >= MAX_PENDING:
            self._previous, self._current = self._current, {}
            self._swap_at = now + COMMIT_WAIT_S
        self._current[key] = entry

    def pop(self, key: tuple[str, int]) -> Any:
        entry = self._current.pop(key, None)
        return self._previous.pop(key, None) if entry is None else entry

    def __len__(self) -> int:
        return len(self._current) + len(self._previous)


class _RecentCommits:
    """This node's committed points of the last :data:`RECENT_S` to twice that, in commit
    order (two generations, like :class:`_AwaitingCommit`).

    Every commit is put and a replay (an entity gaining a listener elsewhere) is rare, so
    the generations are plain lists that a replay scans, not lists per entity.
    """

    __slots__ = ("_current", "_previous", "_swap_at")

    def __init__(self) -> None:
        self._current: list[TimeseriesUpdated] = []
        self._previous: list[TimeseriesUpdated] = []
        self._swap_at = time.monotonic() + RECENT_S

    def put(self, event: TimeseriesUpdated) -> None:
        now = time.monotonic()
        if now >= self._swap_at:
            self._previous, self._current = self._current, []
            self._swap_at = now + RECENT_S
        self._current.append(event)

    def of(self, entities: Collection[uuid.UUID]) -> list[TimeseriesUpdated]:
        """The kept commits of ``entities``, oldest first."""
        if time.monotonic() >= self._swap_at + RECENT_S:  # both generations are too old
            return []
        return [e for e in (*self._previous, *self._current) if e.entity_id in entities]


def _alarm(raw: dict[str, Any]) -> Alarm:
    row = dict(raw)
    for name in _UUID_FIELDS:
        if row.get(name) is not None:
            row[name] = uuid.UUID(row[name])
    return Alarm.from_row(row)  # type: ignore[arg-type]  # a plain mapping of the columns


class ClusterFeeds:
    """Relays committed changes between this node's feeds and the other nodes' over a bus."""

    def __init__(self, bus: Bus, services: WsServices, subject: str = SUBJECT) -> None:
        self._bus = bus
        self._services = services
        self._subject = subject
        self.out: BatchedPublisher[Json] = BatchedPublisher(
            bus, subject, key="e", encode=_encoded, max_pending=MAX_PENDING, name="cluster feeds"
        )
        """The sending side (its ``sent`` and ``dropped`` count changes)."""
        self._relaying = False
        self._out = self._telemetry_out
        """The listener that sends this node's changes (one object, to tell it apart)."""
        self._removers: list[Callable[[], None]] = []
        self._subscription: Subscription | None = None
        self.received = 0
        """Changes of other nodes handled here (published locally or skipped)."""
        self.skipped = 0
        """Of those, accepted time-series points not decoded because no local listener
        heard them."""
        self.unknown = 0
        """Changes of a kind this version does not know (ignored)."""
        self._unknown_kinds: set[str] = set()
        self.awaiting = _AwaitingCommit()
        """Other nodes' accepted points until their commit notice."""
        self._sender = ""
        """The node id of the payload being relayed."""
        self._commits: list[Any] = ["tc", 0, -1]
        """The last commit notice queued: ``["tc", first, last]``, extended while unsent."""
        self._commits_batch = -1
        """``out.taken`` when that notice was queued."""
        self.interest = RemoteInterest(self.out.node_id, self._replay)
        """Which entities' points the other nodes listen to."""
        self._announcer = LocalInterest(
            bus,
            f"{subject}.interest",
            self.out.node_id,
            services.telemetry.listeners,
            on_refresh=self._expire,
        )
        self._interest_subscription: Subscription | None = None
        self._sent: deque[int] = deque()
        """Numbers of the acceptances sent whose commit has not come yet, in order."""
        self._recent = _RecentCommits()
        self.withheld = 0
        """Accepted points not sent: no other node listened to their entity."""
        self.replayed = 0
        """Recent commits sent again to a node that started listening to their entity."""

    async def start(self) -> None:
        """Subscribe to the other nodes' changes and start sending this node's."""
        self._subscription = await self._bus.subscribe(self._subject, self._received)
        self._interest_subscription = await self._bus.subscribe(
            f"{self._subject}.interest", self._interest_received
        )
        self._announcer.start()
        services = self._services
        self._removers.append(services.telemetry.subscribe(self._out, None, points=False))
        self._removers.append(services.telemetry.listeners.relay_points(self))
        if services.alarm_changes is not None:
            self._removers.append(services.alarm_changes.listen_all(self._alarm_out))
        if services.entity_changes is not None:
            self._removers.append(services.entity_changes.listen_all(self._entity_out))
        if services.notifications is not None:
            self._removers.append(services.notifications.listen_all(self._inbox_out))
        self.out.start()

    async def stop(self) -> None:
        """Stop relaying (what is still pending is not sent)."""
        removers, self._removers = self._removers, []
        for remove in removers:
            remove()
        await self._announcer.stop()
        if self._interest_subscription is not None:
            await self._interest_subscription.close()
            self._interest_subscription = None
        await self.out.stop()
        if self._subscription is not None:
            await self._subscription.close()
            self._subscription = None

    # out

    def _queue(self, event: Json) -> None:
        if not self._relaying:
            self.out.put(event)

    def _telemetry_out(self, event: TelemetryEvent) -> None:
        self._queue(event)  # encoded by the sender, off the write path

    def accepted(self, event: TimeseriesUpdated, number: int) -> None:
        """Points of this node have their place in its writer's batch: send them, if another
        node listens to their entity."""
        if self._relaying:
            return
        if self.interest.wants(event.entity_id):
            self._sent.append(number)
            self.out.put((number, event))
        else:
            self.withheld += 1

    def committed(self, event: TimeseriesUpdated, number: int) -> None:
        """The points of acceptance ``number`` are stored: send the notice of sent points (by
        extending the unsent notice of the numbers before, if there is one), or the points
        themselves if their entity gained a listener elsewhere since their acceptance."""
        if self._relaying:
            return
        self._recent.put(event)
        sent = self._sent
        while sent and sent[0] < number:  # their batch failed: they are accepted again
            sent.popleft()
        if sent and sent[0] == number:
            sent.popleft()
            notice = self._commits
            if self._commits_batch == self.out.taken and number - notice[2] <= _NOTICE_GAP:
                notice[2] = number  # the numbers between were not sent: no harm
            else:
                self._commits = ["tc", number, number]
                self._commits_batch = self.out.taken
                self.out.put(self._commits)
        elif self.interest.wants(event.entity_id):
            self.out.put(event)

    def _replay(self, entities: list[uuid.UUID]) -> None:
        """Other nodes started listening to ``entities``: their recent commits go again."""
        for event in self._recent.of(set(entities)):
            self.replayed += 1
            self._queue(event)

    def _expire(self) -> None:
        for node in self.interest.expire():
            log.info("cluster feeds: node %s not heard from, its interest is forgotten", node)

    async def _interest_received(self, payload: bytes) -> None:
        if self.interest.received(payload):
            self._announcer.snapshot_requested()

    def _alarm_out(self, tenant_id: uuid.UUID, event: AlarmChanged) -> None:
        self._queue(["al", event.alarm.to_row(), event.deleted])

    def _entity_out(self, tenant_id: uuid.UUID, event: EntityChanged) -> None:
        self._queue(["en", base64.b64encode(event.msg.to_bytes()).decode()])

    def _inbox_out(self, change: InboxChange) -> None:
        self._queue(["nt", str(change.user_id), change.added])

    # in

    async def _received(self, payload: bytes) -> None:
        try:
            message = orjson.loads(payload)
            sender = message.get("n")
            if sender == self.out.node_id:
                return
            events = message["e"]
            self._sender = str(sender)
            self.interest.heard_from(self._sender)
        except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError):
            log.warning("cluster feeds: unreadable payload of %d bytes", len(payload))
            return
        for event in events:
            try:
                self._relay(event)
            except (ValueError, KeyError, TypeError, IndexError):
                log.warning("cluster feeds: unreadable change %.200r", event)

    def _relay(self, event: list[Any]) -> None:
        relay = self._RELAYS.get(event[0])
        if relay is None:
            self._unknown(event[0])
            return
        self._relaying = True
        try:
            relay(self, event)
            self.received += 1
        finally:
            self._relaying = False

    def _unknown(self, kind: object) -> None:
        """A change kind this version does not know, such as a newer node's during a rolling
        upgrade: counted, and logged once per kind rather than once per change."""
        self.unknown += 1
        name = repr(kind)[:40]
        if name in self._unknown_kinds or len(self._unknown_kinds) >= _UNKNOWN_KINDS_LOGGED:
            return
        self._unknown_kinds.add(name)
        log.warning(
            "cluster feeds: change kind %s (from node %s) is not known here; its changes "
            "are ignored (a node of a newer version?)",
            name,
            self._sender,
        )

    def _relay_telemetry(self, event: list[Any]) -> None:
        listeners = self._services.telemetry.listeners
        if event[0] == "tu" and not listeners.hears_points(event[2]):
            self.skipped += 1  # points nobody here listens to: not worth decoding
            return
        listeners.publish(decode_telemetry(event[0], event[1:]))

    def _relay_accepted(self, event: list[Any]) -> None:
        """``["ta", number, tenant, entity, points]``: early listeners hear them now."""
        key = (self._sender, int(event[1]))
        listeners = self._services.telemetry.listeners
        if listeners.hears_points(event[3]):
            points = decode_telemetry("tu", event[2:])
            assert isinstance(points, TimeseriesUpdated)
            self.awaiting.put(key, (points, listeners.accept(points)))
        else:
            self.skipped += 1  # kept as received, decoded only if someone subscribes
            self.awaiting.put(key, event)

    def _relay_committed(self, event: list[Any]) -> None:
        """``["tc", first, last]`` (or ``["tc", number]``): the points of those acceptances
        are stored on their node."""
        first = int(event[1])
        last = int(event[2]) if len(event) > 2 else first
        if not 0 <= last - first < MAX_PENDING:
            raise ValueError(f"commit notice of {last - first + 1} acceptances")
        listeners = self._services.telemetry.listeners
        sender, awaiting = self._sender, self.awaiting
        for number in range(first, last + 1):
            entry = awaiting.pop((sender, number))
            if isinstance(entry, tuple):
                listeners.commit(*entry)
            elif entry is not None and listeners.hears_points(entry[3]):
                listeners.publish(decode_telemetry("tu", entry[2:]))  # nobody heard it accepted

    def _relay_alarm(self, event: list[Any]) -> None:
        feed = self._services.alarm_changes
        if feed is not None:
            alarm = _alarm(event[1])
            feed.publish(alarm.tenant_id, AlarmChanged(alarm, bool(event[2])))

    def _relay_entity(self, event: list[Any]) -> None:
        feed = self._services.entity_changes
        if feed is not None:
            msg = Msg.from_bytes(base64.b64decode(event[1]))
            feed.publish(msg.tenant_id, EntityChanged(msg))

    def _relay_inbox(self, event: list[Any]) -> None:
        inbox = self._services.notifications
        if inbox is not None:
            added = event[2]
            if added is not None and not isinstance(added, dict):
                raise TypeError("a new notification is an object")
            inbox.publish(InboxChange(uuid.UUID(event[1]), added))

    _RELAYS: ClassVar[dict[str, Callable[[ClusterFeeds, list[Any]], None]]] = {
        "ta": _relay_accepted,
        "tc": _relay_committed,
        "tu": _relay_telemetry,
        "td": _relay_telemetry,
        "au": _relay_telemetry,
        "ad": _relay_telemetry,
        "al": _relay_alarm,
        "en": _relay_entity,
        "nt": _relay_inbox,
    }
    """Change kind → how it is published into the local feeds."""
