"""Cached reads: one read per key in flight, kept for their time, forgotten on change."""

from __future__ import annotations

import asyncio

import pytest

from industryos.cached_reads import CachedReads


class Source:
    """A read that counts calls, returns ``value`` and can be held or made to fail."""

    def __init__(self) -> None:
        self.reads: list[str] = []
        self.value = 1
        self.error: Exception | None = None
        self.release = asyncio.Event()
        self.release.set()

    async def read(self, key: str) -> int:
        self.reads.append(key)
        value = self.value
        await self.release.wait()
        if self.error is not None:
            raise self.error
        return value


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_concurrent_callers_share_one_read_per_key() -> None:
    source = Source()
    cache: CachedReads[str, int] = CachedReads(source.read)
    assert cache.peek("a") is None
    values = await asyncio.gather(*(cache.get(key) for key in "aaaaab"))
    assert values == [1] * 6
    assert sorted(source.reads) == ["a", "b"]
    assert cache.peek("a") == 1 and await cache.get("a") == 1
    assert len(source.reads) == 2  # kept with no time limit


async def test_a_value_is_read_again_when_its_time_is_up() -> None:
    source, clock = Source(), Clock()
    cache: CachedReads[str, int] = CachedReads(source.read, ttl_s=30, clock=clock)
    assert await cache.get("a") == 1
    clock.now += 29.9
    source.value = 2
    assert cache.peek("a") == 1 and await cache.get("a") == 1
    clock.now += 0.1
    assert cache.peek("a") is None
    assert await cache.get("a") == 2
    assert source.reads == ["a", "a"]


async def test_a_read_under_way_when_forgotten_is_not_kept() -> None:
    source = Source()
    source.release.clear()
    cache: CachedReads[str, int] = CachedReads(source.read)
    early = asyncio.create_task(cache.get("a"))
    await asyncio.sleep(0.01)  # the read has seen value 1
    source.value = 2  # ... then the value changed and the cache was told
    cache.forget("a")
    late = asyncio.create_task(cache.get("a"))  # a read of its own, after the change
    await asyncio.sleep(0.01)
    source.release.set()
    assert (await early, await late) == (1, 2)
    assert await cache.get("a") == 2
    assert source.reads == ["a", "a"]


async def test_a_failed_read_fails_its_callers_and_is_not_kept() -> None:
    source = Source()
    source.error = RuntimeError("database down")
    cache: CachedReads[str, int] = CachedReads(source.read)
    results = await asyncio.gather(cache.get("a"), cache.get("a"), return_exceptions=True)
    assert [str(r) for r in results] == ["database down"] * 2
    source.error = None
    assert await cache.get("a") == 1
    assert source.reads == ["a", "a"]


async def test_a_cancelled_caller_leaves_the_read_to_the_others() -> None:
    source = Source()
    source.release.clear()
    cache: CachedReads[str, int] = CachedReads(source.read)
    leaving = asyncio.create_task(cache.get("a"))
    staying = asyncio.create_task(cache.get("a"))
    await asyncio.sleep(0.01)
    leaving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await leaving
    source.release.set()
    assert await staying == 1
    assert source.reads == ["a"]


async def test_forgetting_every_key() -> None:
    source = Source()
    cache: CachedReads[str, int] = CachedReads(source.read)
    await asyncio.gather(cache.get("a"), cache.get("b"))
    cache.forget()
    assert cache.peek("a") is None and cache.peek("b") is None
    await asyncio.gather(cache.get("a"), cache.get("b"))
    assert sorted(source.reads) == ["a", "a", "b", "b"]


async def test_close_waits_for_the_reads_still_running() -> None:
    """Forgotten ones too: a read cut off when the loop closes would leave its database
    connection unclosed."""
    source = Source()
    source.release.clear()
    cache: CachedReads[str, int] = CachedReads(source.read)
    caller = asyncio.create_task(cache.get("a"))
    await asyncio.sleep(0.01)
    cache.forget("a")
    closing = asyncio.create_task(cache.close())
    await asyncio.sleep(0.01)
    assert not closing.done()
    source.release.set()
    await closing
    assert await caller == 1
