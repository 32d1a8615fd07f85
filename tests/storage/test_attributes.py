"""The attribute repository on attribute_kv, on both engines."""

from __future__ import annotations

import uuid
from typing import Any, cast

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.storage import attributes
from industryos.storage.attributes import AttributeRepository
from industryos.storage.engine import is_sqlite
from industryos.storage.schema import attribute_kv
from industryos.storage.timeseries import KeyDictionary
from industryos.telemetry.errors import InvalidEntryError
from industryos.telemetry.kv import AttributeKvEntry, AttributeScope, DataType, KvEntry, kv_entry

CLIENT, SERVER, SHARED = (
    AttributeScope.CLIENT_SCOPE,
    AttributeScope.SERVER_SCOPE,
    AttributeScope.SHARED_SCOPE,
)


@pytest.fixture
def repo(engine: AsyncEngine) -> AttributeRepository:
    """A repository with its own key dictionary."""
    return AttributeRepository(engine, KeyDictionary(engine))


async def test_every_value_type_round_trips(repo: AttributeRepository) -> None:
    """Each type comes back with its value, type and lastUpdateTs; JSON stays compact."""
    entity = uuid.uuid4()
    entries = [
        kv_entry("b", False),
        kv_entry("l", 2**62),
        kv_entry("d", -1.25),
        kv_entry("s", 'é "quoted"'),
        KvEntry("j", '{"nested":{"list":[1,2.5,null]},"t":true}', DataType.JSON),
    ]
    saved = await repo.save(entity, SERVER, entries, ts=1000)
    assert saved == [AttributeKvEntry(*entry, 1000) for entry in entries]
    found = (await repo.find(entity, SERVER))[SERVER]
    # jsonb (the shared column type) may reorder object keys: compare JSON as values.
    assert [(a.key, a.native_value(), a.data_type, a.last_update_ts) for a in found] == [
        (a.key, a.native_value(), a.data_type, a.last_update_ts)
        for a in sorted(saved, key=lambda a: a.key)
    ]
    json_text = cast(str, next(a.value for a in found if a.key == "j"))
    assert json_text.count(" ") == 0  # compact text


async def test_upsert_updates_value_type_and_time(repo: AttributeRepository) -> None:
    """Saving a key again replaces its value (even with another type) and lastUpdateTs."""
    entity = uuid.uuid4()
    await repo.save(entity, SHARED, [kv_entry("mode", "eco"), kv_entry("target", 21)], ts=1000)
    await repo.save(entity, SHARED, [kv_entry("target", 22.5)], ts=2000)
    assert (await repo.find(entity, SHARED))[SHARED] == [
        AttributeKvEntry("mode", "eco", DataType.STRING, 1000),
        AttributeKvEntry("target", 22.5, DataType.DOUBLE, 2000),
    ]


async def test_repeated_key_in_one_save_keeps_the_last(repo: AttributeRepository) -> None:
    """Like a JSON object with a repeated key, the last value of a key wins."""
    entity = uuid.uuid4()
    saved = await repo.save(entity, CLIENT, [kv_entry("k", 1), kv_entry("k", 2)], ts=5)
    assert saved == [AttributeKvEntry("k", 2, DataType.LONG, 5)]
    assert (await repo.find(entity, CLIENT))[CLIENT] == saved


async def test_scopes_are_separate(repo: AttributeRepository) -> None:
    """The same key in two scopes is two attributes; reads filter by scope and keys."""
    entity = uuid.uuid4()
    await repo.save(entity, CLIENT, [kv_entry("fw", "1.0"), kv_entry("x", 1)], ts=1)
    await repo.save(entity, SHARED, [kv_entry("fw", "2.0")], ts=2)
    everything = await repo.find(entity)
    assert set(everything) == {CLIENT, SHARED}
    assert await repo.find(entity, SERVER) == {}
    assert await repo.find(entity, keys=["fw"]) == {
        CLIENT: [AttributeKvEntry("fw", "1.0", DataType.STRING, 1)],
        SHARED: [AttributeKvEntry("fw", "2.0", DataType.STRING, 2)],
    }
    assert await repo.find(entity, keys=["unknown"]) == {}
    assert await repo.keys(entity) == ["fw", "x"]
    assert await repo.keys(entity, SHARED) == ["fw"]
    assert await repo.find(uuid.uuid4()) == {}


async def test_delete(repo: AttributeRepository) -> None:
    """Deleting returns the keys that existed in that scope and removes only those."""
    entity = uuid.uuid4()
    await repo.save(entity, SHARED, [kv_entry("a", 1), kv_entry("b", 2)])
    await repo.save(entity, SERVER, [kv_entry("a", 1)])
    assert await repo.delete(entity, SHARED, ["a", "nope"]) == ["a"]
    assert await repo.delete(entity, SHARED, ["never-seen"]) == []
    assert await repo.keys(entity, SHARED) == ["b"]
    assert await repo.keys(entity, SERVER) == ["a"]


async def test_bad_entries_are_refused(repo: AttributeRepository) -> None:
    """Blank keys and mistyped values never reach the database."""
    entity = uuid.uuid4()
    with pytest.raises(InvalidEntryError):
        await repo.save(entity, SERVER, [KvEntry(" ", 1, DataType.LONG)])
    with pytest.raises(InvalidEntryError):
        await repo.save(entity, SERVER, [KvEntry("k", "1", DataType.LONG)])
    assert await repo.save(entity, SERVER, []) == []
    assert await repo.find(entity) == {}


async def test_several_entities_in_one_transaction(
    repo: AttributeRepository, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``save_many``: one commit for all writes (on SQLite: one transaction in one worker
    thread hop); each write gets its entries back; a bad entry anywhere refuses the whole
    call before anything is stored."""
    first, second = uuid.uuid4(), uuid.uuid4()
    await repo.save(uuid.uuid4(), SERVER, [kv_entry("a", 0), kv_entry("b", 0)])  # known keys
    commits = 0

    def count(*_: object) -> None:
        nonlocal commits
        commits += 1

    if is_sqlite(engine):
        transaction = attributes._sqlite_upsert

        def counted(path: str, rows: list[tuple[Any, ...]]) -> None:
            count()
            transaction(path, rows)

        monkeypatch.setattr(attributes, "_sqlite_upsert", counted)
    sa.event.listen(engine.sync_engine, "commit", count)
    try:
        saved = await repo.save_many(
            [
                (first, SERVER, [kv_entry("a", 1), kv_entry("a", 2)]),
                (second, SHARED, [kv_entry("b", "x")]),
                (second, SERVER, []),
            ],
            ts=5,
        )
    finally:
        sa.event.remove(engine.sync_engine, "commit", count)
    assert commits == 1
    assert saved == [
        [AttributeKvEntry("a", 2, DataType.LONG, 5)],
        [AttributeKvEntry("b", "x", DataType.STRING, 5)],
        [],
    ]
    assert await repo.find(first) == {SERVER: [AttributeKvEntry("a", 2, DataType.LONG, 5)]}
    assert await repo.find(second) == {SHARED: [AttributeKvEntry("b", "x", DataType.STRING, 5)]}
    with pytest.raises(InvalidEntryError):
        await repo.save_many(
            [(first, SERVER, [kv_entry("c", 3)]), (second, SERVER, [KvEntry("", 1, DataType.LONG)])]
        )
    assert await repo.keys(first) == ["a"]


async def test_a_fleet_of_attributes_in_one_save(
    repo: AttributeRepository, engine: AsyncEngine
) -> None:
    """1,200 entities x 5 keys in one call (on SQLite: many multi-row statements): every
    row stored; saving again updates values and counts the write in ``version``."""
    entities = sorted(uuid.uuid4() for _ in range(1200))
    keys = ("active", "lastConnectTime", "lastDisconnectTime", "lastActivityTime", "x")
    writes = [(e, SERVER, [kv_entry(k, n) for k in keys]) for n, e in enumerate(entities)]
    await repo.save_many(writes, ts=10)
    again = [(e, SERVER, [kv_entry("x", "updated")]) for e in entities[:3]]
    await repo.save_many(again, ts=20)
    for n, entity in enumerate(entities):
        found = {a.key: (a.value, a.last_update_ts) for a in (await repo.find(entity))[SERVER]}
        expected: dict[str, tuple[int | str, int]] = {k: (n, 10) for k in keys}
        if n < 3:
            expected["x"] = ("updated", 20)
        assert found == expected
    async with engine.connect() as conn:  # the write counter of the rewritten rows
        versions = (
            await conn.execute(
                sa.select(sa.func.max(attribute_kv.c.version), sa.func.count()).where(
                    attribute_kv.c.entity_id.in_(entities)
                )
            )
        ).one()
    assert tuple(versions) == (2, 1200 * len(keys))


async def test_one_scope_of_many_entities(repo: AttributeRepository) -> None:
    """``find_many`` gives each entity what ``find`` gives it for that scope (more entities
    than one ``IN`` list); entities without attributes of the scope are left out."""
    entities = [uuid.uuid4() for _ in range(700)]
    writes = [
        (e, SERVER, [kv_entry("b", n), kv_entry("a", n % 2 == 0)]) for n, e in enumerate(entities)
    ]
    writes.append((entities[0], AttributeScope.SHARED_SCOPE, [kv_entry("shared", 1)]))
    await repo.save_many(writes, ts=10)
    client_only = uuid.uuid4()
    await repo.save(client_only, AttributeScope.CLIENT_SCOPE, [kv_entry("c", 1)])
    found = await repo.find_many([*entities, client_only, uuid.uuid4()], SERVER)
    assert set(found) == set(entities)
    for entity in entities[:50]:
        assert found[entity] == (await repo.find(entity, SERVER))[SERVER]
    assert [e.key for e in found[entities[1]]] == ["a", "b"]
    assert found[entities[1]][1].value == 1
    assert await repo.find_many([], SERVER) == {}
