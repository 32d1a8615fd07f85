"""v2 alarm subscriptions: ALARM_DATA (first page, then changes), ALARM_COUNT and
ALARM_STATUS (§4.4, §4.5).

ALARM_DATA answers with ``PageData<AlarmData>`` in ``data`` plus ``allowedEntities`` and
``totalEntities``. Then every committed alarm change of the caller's tenant is matched
against the subscription (another customer's alarm, or an alarm of an entity outside the
query, is ignored without I/O) and a match re-runs the query, throttled to one run per
``refresh_interval_s``: when the page still lists the same alarms, ``update`` carries only
the alarms that changed (ack, clear, severity, assignment…); when alarms appeared, left or
moved (created, deleted, no longer matching the status filter), the whole page is resent
in ``data``. Entity lifecycle changes re-run it too, since they change which entities the
filter selects, and so do writes of a filtered key or of a latest-value sort key (the
alarms' order follows their entity's value). ALARM_COUNT follows the count the same way
and pushes it when it changes; ALARM_STATUS follows whether one entity has an active alarm
(of the given types and severities) and pushes ``active`` when that flips.

The ``latestValues`` shown next to each alarm follow writes of its entity
(:mod:`.alarm_latest`): the alarms of a written entity are pushed in ``update``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from industryos.alarms.data_query import (
    AlarmCountQuery,
    AlarmDataPage,
    AlarmDataQueries,
    AlarmDataQuery,
    parse_alarm_count_query,
    parse_alarm_data_query,
)
from industryos.alarms.enums import AlarmSearchStatus
from industryos.api.ws.alarm_latest import AlarmLatest
from industryos.api.ws.changes import AlarmChanged
from industryos.api.ws.errors import AccessDenied, BadCommand
from industryos.api.ws.live_query import LiveQuery
from industryos.api.ws.messages import (
    alarm_count_update,
    alarm_data_page,
    alarm_data_update,
    alarm_status_update,
)
from industryos.entities.errors import InvalidArgument, NotFound, PermissionDenied
from industryos.entities.ids import EntityType
from industryos.entities.query.keys import EntityKeyType

if TYPE_CHECKING:
    from industryos.api.ws.commands import Command
    from industryos.api.ws.session import WsSession

__all__ = [
    "AlarmCountSubscription",
    "AlarmDataSubscription",
    "AlarmStatusSubscription",
    "alarm_count",
    "alarm_data",
    "alarm_status",
]


def _queries(session: WsSession) -> AlarmDataQueries:
    queries = session.services.alarm_queries
    if queries is None:
        raise BadCommand("Alarm queries are not available on this node")
    return queries


def _may_see(session: WsSession, event: AlarmChanged) -> bool:
    """The feed is per tenant already; a customer user sees its customer's alarms only."""
    caller = session.caller
    return not caller.is_customer_user or event.alarm.customer_id == caller.customer_id


def _could_match(
    query: AlarmCountQuery, page_entities: frozenset[Any], event: AlarmChanged
) -> bool:
    alarm = event.alarm
    if alarm.originator.id in page_entities:
        return True
    return query.link.search_propagated and (
        alarm.propagate or alarm.propagate_to_owner or alarm.propagate_to_tenant
    )


def _comparable(item: dict[str, Any]) -> dict[str, Any]:
    """An AlarmData without ``latest`` (entity fields carry the query time as ts)."""
    return {key: value for key, value in item.items() if key != "latest"}


class AlarmDataSubscription:
    """One ALARM_DATA command: its current page, re-read on matching alarm changes."""

    def __init__(self, session: WsSession, cmd_id: int, query: AlarmDataQuery) -> None:
        self.session = session
        self.cmd_id = cmd_id
        self.query = query
        self.page: AlarmDataPage | None = None
        self._alarm_ids: frozenset[str] = frozenset()
        self.live = LiveQuery(session, self._refresh)
        self._latest = AlarmLatest(
            session.services.telemetry, query.latest_values, self._latest_changed
        )

    @property
    def allowed_entities(self) -> int:
        """``allowedEntities``: how many entities the alarms are searched for."""
        return self.session.services.limits.max_entities_per_alarm_sub

    async def _find(self) -> AlarmDataPage:
        return await _queries(self.session).find(
            self.session.caller, self.query, self.allowed_entities
        )

    async def open(self) -> None:
        """Listen, send the first page, then follow changes."""
        self.live.on_alarms(self._matches)
        self.live.on_entities()
        self.live.on_telemetry(_value_keys(self.query))
        page = await self._find()
        self._keep(page)
        self.session.send(
            alarm_data_page(self.cmd_id, page.to_wire(), self.allowed_entities, page.total_entities)
        )
        self.live.start()

    def _keep(self, page: AlarmDataPage) -> None:
        self.page = page
        self._alarm_ids = frozenset(page.alarm_ids)
        self._latest.follow(uuid.UUID(item["entityId"]["id"]) for item in page.data)

    def _latest_changed(self, entity_id: uuid.UUID, latest: dict[str, dict[str, Any]]) -> None:
        """Patch the alarms of ``entity_id`` on the page and push them in ``update``."""
        page = self.page
        if page is None:
            return
        target = str(entity_id)
        changed = []
        for item in page.data:
            if item["entityId"]["id"] == target:
                shown = item.setdefault("latest", {})
                for group, values in latest.items():
                    shown.setdefault(group, {}).update(values)
                changed.append(item)
        if changed:
            self.session.send(
                alarm_data_update(self.cmd_id, changed, self.allowed_entities, page.total_entities)
            )

    def _matches(self, event: AlarmChanged) -> bool:
        if not _may_see(self.session, event):
            return False
        page = self.page
        if page is None:
            return True  # the first page is being read; read again right after it
        if str(event.alarm.id) in self._alarm_ids:
            return True
        return _could_match(self.query, page.entity_ids, event)

    async def _refresh(self) -> None:
        old = self.page
        page = await self._find()
        self._keep(page)
        if old is None:
            return
        same = (
            old.alarm_ids == page.alarm_ids
            and old.total_elements == page.total_elements
            and old.total_entities == page.total_entities
        )
        if not same:
            self.session.send(
                alarm_data_page(
                    self.cmd_id, page.to_wire(), self.allowed_entities, page.total_entities
                )
            )
            return
        changed = [
            new
            for new, before in zip(page.data, old.data, strict=True)
            if _comparable(new) != _comparable(before)
        ]
        if changed:
            self.session.send(
                alarm_data_update(self.cmd_id, changed, self.allowed_entities, page.total_entities)
            )

    def close(self) -> None:
        """Stop following alarm changes and entity values."""
        self.live.close()
        self._latest.close()


def _value_keys(query: AlarmDataQuery) -> frozenset[str]:
    """Keys whose writes may change the page: filtered keys (which entities) and a sort key
    that is a latest value (the alarms' order)."""
    keys = [f.key for f in query.key_filters]
    if query.link.sort_key is not None:
        keys.append(query.link.sort_key)
    fields = (EntityKeyType.ENTITY_FIELD, EntityKeyType.ALARM_FIELD)
    return frozenset(key.key for key in keys if key.type not in fields)


class AlarmCountSubscription:
    """One ALARM_COUNT command: the count, pushed again when it changes."""

    def __init__(self, session: WsSession, cmd_id: int, query: AlarmCountQuery) -> None:
        self.session = session
        self.cmd_id = cmd_id
        self.query = query
        self.count: int | None = None
        self.live = LiveQuery(session, self._refresh)

    async def _count(self) -> int:
        limit = self.session.services.limits.max_entities_per_alarm_sub
        return await _queries(self.session).count(self.session.caller, self.query, limit)

    async def open(self) -> None:
        """Listen, send the count, then follow changes."""
        self.live.on_alarms(lambda event: _may_see(self.session, event))
        self.live.on_entities()
        self.count = await self._count()
        self.session.send(alarm_count_update(self.cmd_id, self.count))
        self.live.start()

    async def _refresh(self) -> None:
        count = await self._count()
        if count != self.count:
            self.count = count
            self.session.send(alarm_count_update(self.cmd_id, count))

    def close(self) -> None:
        """Stop following alarm changes."""
        self.live.close()


async def alarm_data(session: WsSession, command: Command) -> None:
    """ALARM_DATA ``{cmdId, query: AlarmDataQuery}``."""
    _queries(session)
    query = parse_alarm_data_query(command.body.get("query"))
    subscription = AlarmDataSubscription(session, command.cmd_id, query)
    session.add(command.cmd_id, subscription)
    try:
        await subscription.open()
    except BaseException:
        session.remove(command.cmd_id)
        raise


async def alarm_count(session: WsSession, command: Command) -> None:
    """ALARM_COUNT ``{cmdId, query: AlarmCountQuery}``."""
    _queries(session)
    query = parse_alarm_count_query(command.body.get("query"))
    subscription = AlarmCountSubscription(session, command.cmd_id, query)
    session.add(command.cmd_id, subscription)
    try:
        await subscription.open()
    except BaseException:
        session.remove(command.cmd_id)
        raise


class AlarmStatusSubscription(AlarmCountSubscription):
    """One ALARM_STATUS command: does the originator have an active alarm? Pushed on flips."""

    def __init__(
        self, session: WsSession, cmd_id: int, query: AlarmCountQuery, originator: uuid.UUID
    ) -> None:
        super().__init__(session, cmd_id, query)
        self.originator = originator

    async def open(self) -> None:
        """Listen to the originator's alarms, send ``active``, then follow changes."""
        self.live.on_alarms(lambda event: event.alarm.originator.id == self.originator)
        self.count = await self._count()
        self.session.send(alarm_status_update(self.cmd_id, self.count > 0))
        self.live.start()

    async def _refresh(self) -> None:
        count = await self._count()
        if (count > 0) != (self.count is not None and self.count > 0):
            self.session.send(alarm_status_update(self.cmd_id, count > 0))
        self.count = count


async def _status_query(
    session: WsSession, body: Mapping[str, Any]
) -> tuple[AlarmCountQuery, uuid.UUID]:
    raw = body.get("originatorId")
    if not isinstance(raw, Mapping):
        raise BadCommand("originatorId must be an entity id object")
    try:
        entity_type = EntityType(str(raw.get("entityType")))
        entity_id = uuid.UUID(str(raw.get("id")))
    except ValueError:
        raise BadCommand("Invalid originatorId") from None
    try:
        await session.services.lookup.check(session.caller, entity_type, entity_id)
    except (PermissionDenied, NotFound, InvalidArgument):
        raise AccessDenied() from None
    query = parse_alarm_count_query(
        {
            "entityFilter": {
                "type": "singleEntity",
                "singleEntity": {"entityType": entity_type.value, "id": str(entity_id)},
            },
            "typeList": body.get("typeList"),
            "severityList": body.get("severityList"),
            "statusList": [AlarmSearchStatus.ACTIVE.value],
        }
    )
    return query, entity_id


async def alarm_status(session: WsSession, command: Command) -> None:
    """ALARM_STATUS ``{cmdId, originatorId, typeList, severityList}``."""
    _queries(session)
    query, originator = await _status_query(session, command.body)
    subscription = AlarmStatusSubscription(session, command.cmd_id, query, originator)
    session.add(command.cmd_id, subscription)
    try:
        await subscription.open()
    except BaseException:
        session.remove(command.cmd_id)
        raise
