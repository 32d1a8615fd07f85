"""The telemetry service over real storage: writes, reads, deletes and change events."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.storage.attributes import AttributeRepository
from industryos.storage.timeseries import TimeseriesStorage
from industryos.telemetry import (
    AttributeKvEntry,
    AttributeScope,
    AttributesDeleted,
    AttributesUpdated,
    DataType,
    TelemetryEvent,
    TelemetryService,
    TimeseriesDeleted,
    TimeseriesUpdated,
    TsKvEntry,
    TsQuery,
    kv_entry,
)
from industryos.telemetry.parse import REST, parse_attributes, parse_telemetry

TENANT = uuid.uuid4()


@pytest.fixture
async def service(engine: AsyncEngine) -> AsyncIterator[TelemetryService]:
    """The service wired as the node wires it, writer running."""
    storage = TimeseriesStorage.create(engine, flush_interval_ms=5)
    await storage.writer.start()
    yield TelemetryService(
        writer=storage.writer,
        timeseries=storage.store,
        attributes=AttributeRepository(engine, storage.keys),
    )
    await storage.writer.stop()


async def test_rest_save_then_latest(service: TelemetryService) -> None:
    """Checklist 14: {"ts":1000,"values":{"t":1}} reads back as "1", or 1 when strict."""
    device = uuid.uuid4()
    await service.save_timeseries(
        TENANT, device, parse_telemetry(b'{"ts":1000,"values":{"t":1}}', 0, REST)
    )
    latest = await service.get_latest(TENANT, device, ["t"])
    assert [{"ts": p.ts, "value": p.rest_value(strict=False)} for p in latest] == [
        {"ts": 1000, "value": "1"}
    ]
    assert [p.rest_value(strict=True) for p in latest] == [1]
    assert await service.get_timeseries_keys(TENANT, device) == ["t"]


async def test_listeners_hear_committed_writes(service: TelemetryService) -> None:
    """A subscriber of the entity gets the written points once they can be read."""
    device, other = uuid.uuid4(), uuid.uuid4()
    heard: list[TelemetryEvent] = []
    service.subscribe(heard.append, device)
    points = parse_telemetry(b'[{"ts": 5, "values": {"a": 1, "b": "x"}}]', 0)
    await service.save_timeseries(TENANT, device, points)
    await service.save_timeseries(TENANT, other, points)
    assert heard == [TimeseriesUpdated(TENANT, device, tuple(points))]
    history = await service.get_history(TENANT, device, [TsQuery("a", 0, 10), TsQuery("b", 0, 10)])
    assert history == {"a": [points[0]], "b": [points[1]]}


async def test_early_listeners_hear_points_before_they_are_committed(engine: AsyncEngine) -> None:
    """An early subscriber has the points while the store has not; plain ones get the commit,
    and so does an early subscriber that came between the acceptance and the commit."""
    storage = TimeseriesStorage.create(engine, flush_interval_ms=3_600_000)
    await storage.writer.start()
    service = TelemetryService(
        writer=storage.writer,
        timeseries=storage.store,
        attributes=AttributeRepository(engine, storage.keys),
    )
    device = uuid.uuid4()
    early: list[TelemetryEvent] = []
    plain: list[TelemetryEvent] = []
    service.subscribe(early.append, device, early=True)
    service.subscribe(plain.append, device)
    points = parse_telemetry(b'{"ts": 7, "values": {"a": 1}}', 0)
    save = asyncio.create_task(service.save_timeseries(TENANT, device, points))
    for _ in range(100):
        if early:
            break
        await asyncio.sleep(0)
    event = TimeseriesUpdated(TENANT, device, tuple(points))
    assert (early, plain) == ([event], [])
    assert await service.get_latest(TENANT, device) == []
    late: list[TelemetryEvent] = []
    service.subscribe(late.append, device, early=True)
    await storage.writer.stop()  # commits the open batch
    await save
    assert (early, plain, late) == ([event], [event], [event])
    assert await service.get_latest(TENANT, device) == list(points)


async def test_delete_timeseries_announces_keys_and_rewritten_latest(
    service: TelemetryService,
) -> None:
    """A range delete reports the keys and the points that became latest again."""
    device = uuid.uuid4()
    heard: list[TelemetryEvent] = []
    service.subscribe(heard.append)
    await service.save_timeseries(
        TENANT, device, [TsKvEntry(1, "t", 1, DataType.LONG), TsKvEntry(2, "t", 2, DataType.LONG)]
    )
    changes = await service.delete_timeseries(TENANT, device, ["t"], 2, 3, rewrite_latest=True)
    assert changes.rewritten == (TsKvEntry(1, "t", 1, DataType.LONG),)
    assert heard[-1] == TimeseriesDeleted(TENANT, device, ("t",), changes.rewritten)
    assert await service.get_latest(TENANT, device) == [TsKvEntry(1, "t", 1, DataType.LONG)]


async def test_attributes_save_read_delete_with_events(service: TelemetryService) -> None:
    """Shared attributes: saved and deleted with events a device session can push."""
    device = uuid.uuid4()
    heard: list[TelemetryEvent] = []
    service.subscribe(heard.append, device)
    saved = await service.save_attributes(
        TENANT, device, AttributeScope.SHARED_SCOPE, parse_attributes(b'{"targetTemp": 22}'), ts=10
    )
    assert saved == [AttributeKvEntry("targetTemp", 22, DataType.LONG, 10)]
    assert heard == [AttributesUpdated(TENANT, device, AttributeScope.SHARED_SCOPE, tuple(saved))]
    await service.save_attributes(
        TENANT, device, AttributeScope.CLIENT_SCOPE, [kv_entry("fw", "1.0")], ts=11
    )
    found = await service.get_attributes(TENANT, device)
    assert {scope: [a.key for a in entries] for scope, entries in found.items()} == {
        AttributeScope.SHARED_SCOPE: ["targetTemp"],
        AttributeScope.CLIENT_SCOPE: ["fw"],
    }
    assert await service.get_attribute_keys(TENANT, device, AttributeScope.CLIENT_SCOPE) == ["fw"]
    deleted = await service.delete_attributes(
        TENANT, device, AttributeScope.SHARED_SCOPE, ["targetTemp", "x"]
    )
    assert deleted == ["targetTemp"]
    assert heard[-1] == AttributesDeleted(
        TENANT, device, AttributeScope.SHARED_SCOPE, ("targetTemp",)
    )
    count = len(heard)
    assert await service.delete_attributes(TENANT, device, AttributeScope.SHARED_SCOPE, ["x"]) == []
    assert len(heard) == count  # nothing deleted, nothing announced


async def test_empty_writes_announce_nothing(service: TelemetryService) -> None:
    """An empty telemetry message ({} from the HTTP SDK's connect) stores and announces nothing."""
    heard: list[TelemetryEvent] = []
    service.subscribe(heard.append)
    await service.save_timeseries(TENANT, uuid.uuid4(), parse_telemetry(b"{}", 0))
    await service.save_attributes(TENANT, uuid.uuid4(), AttributeScope.SERVER_SCOPE, [])
    assert heard == []
