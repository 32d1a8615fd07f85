"""Two nodes on one database and the real NATS bus: telemetry, entity, alarm and WEB
notification inbox changes committed on node A reach WebSocket sessions on node B (and only
the right tenant's, or user's)."""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from websockets.asyncio.client import connect

from industryos.api import ws
from industryos.api.app import create_app
from industryos.api.tokens import TokenIssuer
from industryos.api.ws import cluster as cluster_feeds
from industryos.api.ws.cluster import decode_telemetry, encode_telemetry
from industryos.config import load_settings
from industryos.demo import TENANT_ADMIN_EMAIL
from industryos.entities.query import EntityQueryService
from industryos.node import Node, build_core
from industryos.notify.inbox import InboxChange
from industryos.queue.bus import NatsBus
from industryos.storage.database import Database
from industryos.telemetry.kv import AttributeKvEntry, AttributeScope, DataType, TsKvEntry
from industryos.telemetry.listeners import (
    AttributesDeleted,
    AttributesUpdated,
    TelemetryEvent,
    TimeseriesDeleted,
    TimeseriesUpdated,
)
from tests.api.conftest import TEST_SECRET, Platform, ok
from tests.api.ws.conftest import Live, ask, bell_pushes, recv_json, send_json, token_of, until
from tests.support.recording import RecordingPublisher

NATS_URL = "nats://127.0.0.1:4222"


@dataclass
class Cluster:
    """Node B is the ``live`` server; node A shares its database and the bus."""

    node_a: Platform
    feeds_a: ws.ClusterFeeds
    feeds_b: ws.ClusterFeeds


@pytest.fixture
async def cluster(engine: AsyncEngine, tmp_path: Any, live: Live) -> AsyncIterator[Cluster]:
    settings = load_settings(data_dir=tmp_path / "a", jwt_secret=TEST_SECRET, demo=False)
    tap = ws.EntityChangeTap(RecordingPublisher())
    core = build_core(Database(engine), settings, tap)
    await core.sessions.load()
    await core.start()
    tokens = TokenIssuer(TEST_SECRET, settings.jwt_issuer, 9000, 604800)
    node_a = Platform(core, create_app(core.api_context(tokens, settings.max_page_size)), None)
    services_a = ws.WsServices(
        core.lookup,
        core.telemetry,
        EntityQueryService(core.db, core.timeseries.keys),
        notifications=core.notifications.center.inbox,
        alarm_changes=ws.alarm_feed(core.alarms.service),
        entity_changes=tap.feed,
    )
    subject = f"industryos.test.feeds.{uuid.uuid4().hex}"  # tests share the NATS server
    bus_a = await NatsBus.connect(NATS_URL, name="node-a")
    bus_b = await NatsBus.connect(NATS_URL, name="node-b")
    feeds_a = ws.ClusterFeeds(bus_a, services_a, subject)
    feeds_b = ws.ClusterFeeds(bus_b, live.services, subject)
    await feeds_a.start()
    await feeds_b.start()
    try:
        yield Cluster(node_a, feeds_a, feeds_b)
    finally:
        await feeds_a.stop()
        await feeds_b.stop()
        await bus_a.close()
        await bus_b.close()
        await node_a.close()
        await core.stop()


THERMOSTATS = {"type": "deviceType", "deviceTypes": ["thermostat"]}


async def known_on_a(cluster: Cluster, entity: uuid.UUID | str) -> None:
    """Until node A knows that node B listens to ``entity``'s points (it sends them then)."""
    entity_id = uuid.UUID(str(entity))
    await until(lambda: cluster.feeds_a.interest.wants(entity_id))


async def test_changes_on_node_a_reach_sessions_on_node_b(live: Live, cluster: Cluster) -> None:
    a = await live.platform.new_tenant("A")
    b = await live.platform.new_tenant("B")
    device = await ok(await a.admin.post("/api/device", json={"name": "t1", "type": "thermostat"}))
    device_id = device["id"]["id"]
    on_a = cluster.node_a.client(token_of(a.admin))  # the same user, through node A's API
    connection = await live.authed(a.admin)
    other = await live.authed(b.admin)
    async with connection, other:
        ts = {"type": "TIMESERIES", "cmdId": 1, "entityType": "DEVICE", "entityId": device_id}
        assert (await ask(connection, {**ts, "keys": "temperature"}))["data"] == {}
        count = {"type": "ENTITY_COUNT", "cmdId": 2, "query": {"entityFilter": THERMOSTATS}}
        assert (await ask(connection, count))["count"] == 1
        alarms = {"type": "ALARM_COUNT", "cmdId": 3, "query": {"entityFilter": THERMOSTATS}}
        assert (await ask(connection, alarms))["count"] == 0
        assert (await ask(other, count))["count"] == 0  # tenant B's own view

        path = f"/api/plugins/telemetry/DEVICE/{device_id}/timeseries/ANY"
        await ok(await on_a.post(path, json={"ts": 1000, "values": {"temperature": 21.5}}))
        pushed = await recv_json(connection)
        assert (pushed["subscriptionId"], pushed["data"]) == (1, {"temperature": [[1000, "21.5"]]})

        await ok(await on_a.post("/api/device", json={"name": "t2", "type": "thermostat"}))
        assert (await recv_json(connection))["count"] == 2
        alarm = {"originator": device["id"], "type": "Overheat", "severity": "MAJOR"}
        await ok(await on_a.post("/api/alarm", json=alarm))
        assert (await recv_json(connection)) | {"count": 1} == {
            "cmdId": 3,
            "cmdUpdateType": "ALARM_COUNT_DATA",
            "errorCode": 0,
            "errorMsg": None,
            "count": 1,
        }
        # nothing else was pushed (no echo, no duplicate): a one-off reply comes next
        history = {**ts, "type": "TIMESERIES_HISTORY", "cmdId": 4, "keys": "temperature"}
        reply = await ask(connection, {**history, "startTs": 0, "endTs": 2000})
        assert (reply["subscriptionId"], reply["data"]) == (4, {"temperature": [[1000, "21.5"]]})
        assert (await ask(other, {**count, "cmdId": 5}))["count"] == 0
    assert cluster.feeds_b.received >= 3
    assert cluster.feeds_a.out.dropped == cluster.feeds_b.out.dropped == 0


async def test_points_nobody_on_node_b_listens_to_are_not_sent_there(
    live: Live, cluster: Cluster
) -> None:
    a = await live.platform.new_tenant("A")
    watched, unwatched = [
        (await ok(await a.admin.post("/api/device", json={"name": name})))["id"]["id"]
        for name in ("watched", "unwatched")
    ]
    on_a = cluster.node_a.client(token_of(a.admin))
    connection = await live.authed(a.admin)
    async with connection:
        ts = {"type": "TIMESERIES", "cmdId": 1, "entityType": "DEVICE", "entityId": watched}
        assert (await ask(connection, {**ts, "keys": "t"}))["data"] == {}
        await known_on_a(cluster, watched)
        withheld = cluster.feeds_a.withheld
        for device_id, value in ((unwatched, 1), (watched, 2)):
            path = f"/api/plugins/telemetry/DEVICE/{device_id}/timeseries/ANY"
            await ok(await on_a.post(path, json={"ts": 1000, "values": {"t": value}}))
        pushed = await recv_json(connection)  # only the watched device's point
        assert (pushed["subscriptionId"], pushed["data"]) == (1, {"t": [[1000, "2"]]})
    assert cluster.feeds_a.withheld == withheld + 1
    assert cluster.feeds_b.skipped == 0


class Heard:
    """A listener that records what it hears and lets a test wait for it."""

    def __init__(self) -> None:
        self.events: list[TelemetryEvent] = []
        self.changed = asyncio.Event()

    def __call__(self, event: TelemetryEvent) -> None:
        self.events.append(event)
        self.changed.set()

    async def until(self, count: int) -> None:
        async with asyncio.timeout(5):
            while len(self.events) < count:
                self.changed.clear()
                await self.changed.wait()


def _points(device: uuid.UUID, value: float) -> TimeseriesUpdated:
    return TimeseriesUpdated(TENANT, device, (TsKvEntry(1, "t", value, DataType.DOUBLE),))


def _marker(device: uuid.UUID) -> AttributesUpdated:
    """A committed change sent after what a test waits on (delivery is in order per node)."""
    entry = AttributeKvEntry("marker", uuid.uuid4().hex, DataType.STRING, 1)
    return AttributesUpdated(TENANT, device, AttributeScope.SERVER_SCOPE, (entry,))


async def test_points_reach_node_b_when_accepted_and_their_commit_with_the_notice(
    live: Live, cluster: Cluster
) -> None:
    """Early listeners on node B hear node A's points at acceptance, as node A's do; plain
    ones (which re-read the store) only once node A has committed them."""
    on_a = cluster.node_a.core.telemetry.listeners
    on_b = live.services.telemetry.listeners
    device = uuid.uuid4()
    early, plain = Heard(), Heard()
    on_b.subscribe(early, device, early=True)
    on_b.subscribe(plain, device)
    await known_on_a(cluster, device)
    points = _points(device, 1.5)
    number = on_a.accept(points)  # in node A's writer batch, not stored yet
    before_commit = _marker(device)
    on_a.publish(before_commit)
    await plain.until(1)
    assert plain.events == [before_commit]  # the points came first, but are not stored
    assert early.events == [points, before_commit]
    on_a.commit(points, number)
    after_commit = _marker(device)
    on_a.publish(after_commit)
    await plain.until(3)
    assert plain.events == [before_commit, points, after_commit]
    assert early.events == [points, before_commit, after_commit]  # heard once
    assert len(cluster.feeds_b.awaiting) == 0
    assert cluster.feeds_b.skipped == 0


async def test_points_accepted_before_anyone_on_node_b_listened_arrive_with_their_commit(
    live: Live, cluster: Cluster
) -> None:
    on_a = cluster.node_a.core.telemetry.listeners
    on_b = live.services.telemetry.listeners
    device = uuid.uuid4()
    markers = Heard()
    on_b.subscribe(markers, device, points=False)  # hears the markers, not the points
    points = _points(device, 2.5)
    number = on_a.accept(points)
    on_a.publish(_marker(device))
    await markers.until(1)
    assert cluster.feeds_a.withheld == 1  # not sent: nobody on node B listened
    late = Heard()
    on_b.subscribe(late, device, early=True)  # e.g. a dashboard opened just now
    await known_on_a(cluster, device)
    on_a.commit(points, number)  # sent now, as committed points
    on_a.publish(_marker(device))
    await markers.until(2)
    assert late.events == [points, markers.events[1]]
    assert len(cluster.feeds_b.awaiting) == 0


async def test_one_commit_notice_covers_a_run_of_writes(live: Live, cluster: Cluster) -> None:
    on_a = cluster.node_a.core.telemetry.listeners
    on_b = live.services.telemetry.listeners
    device = uuid.uuid4()
    plain = Heard()
    on_b.subscribe(plain, device)
    await known_on_a(cluster, device)
    sent = cluster.feeds_a.out.sent
    writes = [_points(device, float(n)) for n in range(4)]
    numbers = [on_a.accept(points) for points in writes]
    for points, number in zip(writes[:3], numbers[:3], strict=True):
        on_a.commit(points, number)  # consecutive: one notice
    await plain.until(3)
    on_a.commit(writes[3], numbers[3])  # after the first notice was sent: a notice of its own
    await plain.until(4)
    assert plain.events == writes
    assert cluster.feeds_a.out.sent - sent == 4 + 2
    assert len(cluster.feeds_b.awaiting) == 0


async def test_notices_of_single_numbers_and_bad_notices(live: Live, cluster: Cluster) -> None:
    """A node of the previous version sends ``["tc", number]``; a malformed notice is logged
    and the rest of its payload still applies."""
    on_b = live.services.telemetry.listeners
    device = uuid.uuid4()
    plain = Heard()
    on_b.subscribe(plain, device)
    points = encode_telemetry(_points(device, 9.5))
    events = [
        ["ta", 7, *points[1:]],
        ["tc", 9, 1],  # a run that ends before it starts
        ["tc", 1, 10**9],  # more than anybody keeps
        ["tc", "x"],
        ["tc", 7],
    ]
    payload = orjson.dumps({"n": "an-older-node", "e": events})
    await cluster.feeds_a._bus.publish(cluster.feeds_b._subject, payload)
    await plain.until(1)
    assert plain.events == [_points(device, 9.5)]
    assert len(cluster.feeds_b.awaiting) == 0


async def test_a_change_kind_of_a_newer_node_is_counted_and_logged_once(
    live: Live, cluster: Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    """During a rolling upgrade a newer node may send kinds this one does not know: they are
    ignored and counted, each kind is logged once (not once per change), and the known
    changes of the same payloads still apply."""
    device = uuid.uuid4()
    plain, plain_a = Heard(), Heard()
    live.services.telemetry.listeners.subscribe(plain, device)
    cluster.node_a.core.telemetry.listeners.subscribe(plain_a, device)  # A hears its own too
    feeds_a, feeds_b = cluster.feeds_a, cluster.feeds_b
    unknown_before = feeds_a.unknown, feeds_b.unknown
    for value in (1.5, 2.5):
        events = [["zz", 1, 2], ["zz", 3], ["tu", *encode_telemetry(_points(device, value))[1:]]]
        payload = orjson.dumps({"n": "a-newer-node", "e": events})
        await feeds_a._bus.publish(feeds_b._subject, payload)
    await plain.until(2)
    await plain_a.until(2)  # the unknown changes come before the points in each payload
    assert plain.events == [_points(device, 1.5), _points(device, 2.5)]
    # both nodes hear the subject: each counts four changes and logs the kind once
    assert (feeds_a.unknown, feeds_b.unknown) == (unknown_before[0] + 4, unknown_before[1] + 4)
    logged = [r for r in caplog.records if "'zz'" in r.getMessage()]
    assert len(logged) == 2 and all("a-newer-node" in r.getMessage() for r in logged)


def test_accepted_points_without_a_commit_notice_are_forgotten(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Their batch failed (the rule engine writes them again) or their node is gone."""
    clock = [0.0]
    monkeypatch.setattr(cluster_feeds, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    awaiting = cluster_feeds._AwaitingCommit()
    awaiting.put(("a", 1), "first")
    clock[0] = cluster_feeds.COMMIT_WAIT_S  # a new generation: the first is still found
    awaiting.put(("a", 2), "second")
    assert awaiting.pop(("a", 1)) == "first"
    awaiting.put(("a", 3), "third")
    clock[0] = 2 * cluster_feeds.COMMIT_WAIT_S
    awaiting.put(("a", 4), "fourth")  # "second" and "third" are one generation old
    clock[0] = 3 * cluster_feeds.COMMIT_WAIT_S
    awaiting.put(("a", 5), "fifth")  # now two: forgotten
    assert awaiting.pop(("a", 2)) is None
    assert awaiting.pop(("a", 3)) is None
    assert awaiting.pop(("b", 4)) is None  # numbers are per node
    assert [awaiting.pop(("a", 4)), awaiting.pop(("a", 5))] == ["fourth", "fifth"]
    assert len(awaiting) == 0


GREETING = {
    "notificationType": "GENERAL",
    "configuration": {
        "deliveryMethodsTemplates": {
            "WEB": {"method": "WEB", "subject": "Shift", "body": "Hello ${recipientEmail}"}
        }
    },
}
ADMINS = {"type": "PLATFORM_USERS", "usersFilter": {"type": "TENANT_ADMINISTRATORS"}}


async def test_inbox_changes_on_node_a_reach_the_recipient_on_node_b(
    live: Live, cluster: Cluster
) -> None:
    a = await live.platform.new_tenant("A")
    b = await live.platform.new_tenant("B")
    admin_id = (await ok(await a.admin.get("/api/auth/user")))["id"]["id"]
    on_a = cluster.node_a.client(token_of(a.admin))  # the recipient, through node A's API
    heard_on_a: list[InboxChange] = []
    inbox_a = cluster.node_a.core.notifications.center.inbox
    inbox_a.listen(uuid.UUID(admin_id), heard_on_a.append)
    target = await ok(
        await on_a.post(
            "/api/notification/target", json={"name": "Admins", "configuration": ADMINS}
        )
    )
    request = {"targets": [target["id"]["id"]], "template": GREETING}
    recipient = await live.authed(a.admin)
    colleague = await live.authed(a.customer_user)  # same tenant, another user
    stranger = await live.authed(b.admin)
    bell = {"type": "NOTIFICATIONS", "cmdId": 1, "limit": 10}
    badge = {"type": "NOTIFICATIONS_COUNT", "cmdId": 2}
    async with recipient, colleague, stranger:
        for connection in (recipient, colleague, stranger):
            first = await ask(connection, bell)
            assert (first["notifications"], first["totalUnreadCount"]) == ([], 0)
            assert (await ask(connection, badge))["totalUnreadCount"] == 0

        await ok(await on_a.post("/api/notification/request", json=request))
        pushed = await bell_pushes(recipient)  # the new notification alone, and the count
        added = pushed[1]["update"]
        assert (pushed[1]["notifications"], pushed[1]["totalUnreadCount"]) == (None, 1)
        assert (added["subject"], added["recipientId"]["id"]) == ("Shift", admin_id)

        await ok(await on_a.put(f"/api/notification/{added['id']['id']}/read"))
        pushed = await bell_pushes(recipient)  # read on A: the list is re-sent
        assert (pushed[1]["notifications"], pushed[1]["update"]) == ([], None)
        assert pushed[1]["totalUnreadCount"] == 0

        await ok(await on_a.post("/api/notification/request", json=request))
        pushed = await bell_pushes(recipient)
        second = pushed[1]["update"]
        assert (second["status"], pushed[1]["totalUnreadCount"]) == ("SENT", 1)
        await ok(await on_a.delete(f"/api/notification/{second['id']['id']}"))
        pushed = await bell_pushes(recipient)  # deleted on A
        assert (pushed[1]["notifications"], pushed[1]["totalUnreadCount"]) == ([], 0)

        # and back: a notification sent on B reaches node A's listener after whatever B sent
        # before (in order per node), so an echo of A's changes would show up ahead of it
        await ok(await a.admin.post("/api/notification/request", json=request))
        assert (await bell_pushes(recipient))[1]["totalUnreadCount"] == 1
        for _ in range(200):
            if len(heard_on_a) == 5:
                break
            await asyncio.sleep(0.05)
        assert [c.added is not None for c in heard_on_a] == [True, False, True, False, True]

        # nothing else was pushed to anyone (no echo, no duplicate, no other user): a
        # one-off reply comes next on every connection
        for connection, unread in ((recipient, 1), (colleague, 0), (stranger, 0)):
            reply = await ask(connection, {**badge, "cmdId": 3})
            assert (reply["cmdId"], reply["totalUnreadCount"]) == (3, unread)
    assert cluster.feeds_a.out.dropped == cluster.feeds_b.out.dropped == 0


async def test_two_nodes_device_on_a_dashboard_on_b(tmp_path: Path, db_url: str) -> None:
    """Real nodes in cluster mode (one PostgreSQL, the NATS bus): a device posts to node A,
    node A's rule engine stores the point, a WebSocket session on node B receives it."""
    if not db_url.startswith("postgresql"):
        pytest.skip("cluster nodes share PostgreSQL")

    def settings(name: str) -> Any:
        return load_settings(
            data_dir=tmp_path / name,
            http_port=0,
            http_host="127.0.0.1",
            db_url=db_url,
            jwt_secret=TEST_SECRET,
            mqtt_port=0,
            mqtt_tls_port=0,
            coap_port=0,
            bus_url=NATS_URL,
        )

    node_a, node_b = Node(settings("a")), Node(settings("b"))
    await node_a.start()
    try:
        await node_b.start()
        try:
            await _device_on_a_dashboard_on_b(node_a.http_port, node_b.http_port)
        finally:
            await node_b.stop()
    finally:
        await node_a.stop()


async def _device_on_a_dashboard_on_b(port_a: int, port_b: int) -> None:
    login = {"username": TENANT_ADMIN_EMAIL, "password": "tenant"}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port_a}") as on_a:
        token = (await ok(await on_a.post("/api/auth/login", json=login)))["token"]
        on_a.headers["X-Authorization"] = f"Bearer {token}"
        device = await ok(await on_a.post("/api/device", json={"name": "cluster-dev"}))
        device_id = device["id"]["id"]
        credentials = await ok(await on_a.get(f"/api/device/{device_id}/credentials"))
        telemetry = f"/api/v1/{credentials['credentialsId']}/telemetry"
        async with connect(f"ws://127.0.0.1:{port_b}/api/ws?token={token}") as on_b:
            ts = {"type": "TIMESERIES", "cmdId": 1, "entityType": "DEVICE", "entityId": device_id}
            await send_json(on_b, {"cmds": [{**ts, "keys": "t"}]})
            assert (await recv_json(on_b))["errorCode"] == 0
            point = {"ts": 4_000_000_000_000, "values": {"t": 7.5}}
            await ok(await on_a.post(telemetry, json=point))
            update = await recv_json(on_b)
            assert (update["subscriptionId"], update["data"]) == (
                1,
                {"t": [[4_000_000_000_000, "7.5"]]},
            )


TENANT, ENTITY = uuid.uuid4(), uuid.uuid4()


@pytest.mark.parametrize(
    "event",
    [
        TimeseriesUpdated(
            TENANT,
            ENTITY,
            (
                TsKvEntry(1, "t", 21.5, DataType.DOUBLE),
                TsKvEntry(2, "n", 2**62, DataType.LONG),
                TsKvEntry(3, "on", True, DataType.BOOLEAN),
                TsKvEntry(4, "s", "text", DataType.STRING),
                TsKvEntry(5, "j", '{"a":[1,2]}', DataType.JSON),
            ),
        ),
        TimeseriesDeleted(TENANT, ENTITY, ("t", "n"), (TsKvEntry(1, "t", 1.0, DataType.DOUBLE),)),
        AttributesUpdated(
            TENANT,
            ENTITY,
            AttributeScope.SHARED_SCOPE,
            (AttributeKvEntry("target", 22.0, DataType.DOUBLE, 77),),
        ),
        AttributesDeleted(TENANT, ENTITY, AttributeScope.SERVER_SCOPE, ("a", "b")),
    ],
)
def test_telemetry_events_cross_the_bus_unchanged(event: Any) -> None:
    kind, *raw = orjson.loads(orjson.dumps(encode_telemetry(event)))
    assert decode_telemetry(kind, raw) == event


def test_not_a_number_crosses_the_bus() -> None:
    event = TimeseriesUpdated(TENANT, ENTITY, (TsKvEntry(1, "t", math.nan, DataType.DOUBLE),))
    kind, *raw = orjson.loads(orjson.dumps(encode_telemetry(event)))
    decoded = decode_telemetry(kind, raw)
    assert isinstance(decoded, TimeseriesUpdated)
    assert decoded.entries[0].value_as_string() == "NaN"
