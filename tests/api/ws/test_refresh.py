"""The throttled refresher: pokes coalesce, nothing runs before start or after close."""

from __future__ import annotations

import asyncio

from industryos.api.ws.refresh import Refresher

WAIT_S = 5.0


async def test_pokes_before_start_run_once_after_it() -> None:
    calls: asyncio.Queue[int] = asyncio.Queue()

    async def refresh() -> None:
        calls.put_nowait(1)

    refresher = Refresher(refresh, 0.01)
    for _ in range(5):
        refresher.poke()
    await asyncio.sleep(0.05)
    assert calls.empty()  # the first result is not out yet
    refresher.start()
    await asyncio.wait_for(calls.get(), WAIT_S)
    await asyncio.sleep(0.05)
    assert calls.empty() and refresher.runs == 1
    refresher.close()


async def test_pokes_during_a_run_collapse_into_one_more_run() -> None:
    release = asyncio.Event()
    calls: asyncio.Queue[int] = asyncio.Queue()

    async def refresh() -> None:
        calls.put_nowait(1)
        await release.wait()

    refresher = Refresher(refresh, 0.0)
    refresher.start()
    refresher.poke()
    await asyncio.wait_for(calls.get(), WAIT_S)
    for _ in range(10):
        refresher.poke()
    release.set()
    await asyncio.wait_for(calls.get(), WAIT_S)
    await asyncio.sleep(0.05)
    assert calls.empty() and refresher.runs == 2
    refresher.close()
    refresher.poke()
    await asyncio.sleep(0.05)
    assert calls.empty()  # closed: pokes are ignored


async def test_a_failing_refresh_does_not_stop_later_ones() -> None:
    calls: asyncio.Queue[int] = asyncio.Queue()

    async def refresh() -> None:
        calls.put_nowait(1)
        raise RuntimeError("boom")

    refresher = Refresher(refresh, 0.0)
    refresher.start()
    refresher.poke()
    await asyncio.wait_for(calls.get(), WAIT_S)
    await asyncio.sleep(0.01)
    refresher.poke()
    await asyncio.wait_for(calls.get(), WAIT_S)
    assert refresher.runs == 2
    refresher.close()
