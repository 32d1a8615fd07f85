"""Loads asked for in one loop turn become one batched load per group."""

from __future__ import annotations

import asyncio

import pytest

from industryos.batch_loads import BatchLoads


class Source:
    """A ``load_many`` that records its calls and can be held or made to fail."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[int]]] = []
        self.release = asyncio.Event()
        self.release.set()
        self.error: Exception | None = None

    async def load_many(self, group: str, keys: list[int]) -> dict[int, str]:
        self.calls.append((group, keys))
        await self.release.wait()
        if self.error is not None:
            raise self.error
        return {key: f"{group}:{key}" for key in keys if key >= 0}


async def test_keys_asked_together_load_together_per_group() -> None:
    source = Source()
    loads: BatchLoads[str, int, str] = BatchLoads(source.load_many)
    got = await asyncio.gather(
        loads.get("a", 1), loads.get("a", 2), loads.get("b", 1), loads.get("a", -1)
    )
    assert list(got) == ["a:1", "a:2", "b:1", None]  # a key load_many leaves out is None
    assert sorted(source.calls) == [("a", [1, 2, -1]), ("b", [1])]
    assert await loads.get("a", 3) == "a:3"  # a later turn: a batch of its own
    assert source.calls[-1] == ("a", [3])


async def test_a_key_in_flight_is_not_loaded_twice() -> None:
    source = Source()
    source.release.clear()
    loads: BatchLoads[str, int, str] = BatchLoads(source.load_many)
    first = asyncio.create_task(loads.get("a", 1))
    await asyncio.sleep(0.01)  # its batch has started and waits
    second = asyncio.create_task(loads.get("a", 1))
    await asyncio.sleep(0.01)
    source.release.set()
    assert await first == await second == "a:1"
    assert source.calls == [("a", [1])]


async def test_a_failed_load_fails_its_callers_and_the_next_ask_retries() -> None:
    source = Source()
    source.error = RuntimeError("database down")
    loads: BatchLoads[str, int, str] = BatchLoads(source.load_many)
    results = await asyncio.gather(loads.get("a", 1), loads.get("a", 2), return_exceptions=True)
    assert [str(r) for r in results] == ["database down", "database down"]
    source.error = None
    assert await loads.get("a", 1) == "a:1"
    assert source.calls == [("a", [1, 2]), ("a", [1])]


async def test_a_cancelled_caller_does_not_cancel_the_load() -> None:
    source = Source()
    source.release.clear()
    loads: BatchLoads[str, int, str] = BatchLoads(source.load_many)
    leaving = asyncio.create_task(loads.get("a", 1))
    staying = asyncio.create_task(loads.get("a", 1))
    await asyncio.sleep(0.01)
    leaving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await leaving
    source.release.set()
    assert await staying == "a:1"
    await loads.close()
    assert source.calls == [("a", [1])]


async def test_keys_asked_while_a_load_runs_go_together_in_the_next() -> None:
    """One load in flight per group: what arrives a few keys per turn meanwhile (devices
    connecting one by one under load) waits and is read as one batch."""
    source = Source()
    source.release.clear()
    loads: BatchLoads[str, int, str] = BatchLoads(source.load_many)
    first = asyncio.create_task(loads.get("a", 1))
    await asyncio.sleep(0.01)  # its load runs and waits
    later = []
    for key in (2, 3, 4):
        later.append(asyncio.create_task(loads.get("a", key)))
        await asyncio.sleep(0)  # one per loop turn
    other = asyncio.create_task(loads.get("b", 1))  # another group does not wait
    await asyncio.sleep(0.01)
    assert source.calls == [("a", [1]), ("b", [1])]
    source.release.set()
    assert [await first, *[await t for t in later], await other] == [
        "a:1",
        "a:2",
        "a:3",
        "a:4",
        "b:1",
    ]
    assert source.calls == [("a", [1]), ("b", [1]), ("a", [2, 3, 4])]
    await loads.close()
