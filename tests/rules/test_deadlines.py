"""One sweeping timer gives many tasks their time limit; its cancels are told from others."""

from __future__ import annotations

import asyncio

import pytest

from industryos.rules.deadlines import Deadlines


async def _limited(deadlines: Deadlines, work: asyncio.Future[None]) -> str:
    task = asyncio.current_task()
    assert task is not None
    deadlines.enter(task)
    try:
        await work
        return "done"
    except asyncio.CancelledError:
        if deadlines.expired(task):
            return "timeout"
        raise
    finally:
        deadlines.leave(task)


async def test_work_over_the_limit_times_out_and_work_within_it_does_not() -> None:
    deadlines = Deadlines(0.2)
    loop = asyncio.get_running_loop()
    slow: asyncio.Future[None] = loop.create_future()
    quick: asyncio.Future[None] = loop.create_future()
    loop.call_later(0.05, quick.set_result, None)
    try:
        results = await asyncio.gather(_limited(deadlines, slow), _limited(deadlines, quick))
        assert list(results) == ["timeout", "done"]
        assert slow.cancelled()
    finally:
        await deadlines.close()


async def test_a_cancel_from_elsewhere_is_not_a_timeout() -> None:
    deadlines = Deadlines(5.0)
    work: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(_limited(deadlines, work))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await deadlines.close()


async def test_a_stop_during_a_timeout_still_stops_the_task() -> None:
    """The deadline and a stop cancel the same task: the stop must win (re-raised)."""
    deadlines = Deadlines(0.1)
    work: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(_limited(deadlines, work))
    await asyncio.sleep(0.01)
    task.cancel()  # a stop ...
    deadlines._due[task] = 0.0  # ... and the deadline already passed: both cancel it
    with pytest.raises(asyncio.CancelledError):
        await task
    await deadlines.close()


async def test_the_sweeper_stops_when_idle_and_restarts() -> None:
    deadlines = Deadlines(0.05)
    loop = asyncio.get_running_loop()
    assert await _limited(deadlines, loop.create_future()) == "timeout"
    await asyncio.sleep(0.1)
    assert deadlines._sweeper is None
    assert await _limited(deadlines, loop.create_future()) == "timeout"
    await deadlines.close()


def test_the_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        Deadlines(0)
