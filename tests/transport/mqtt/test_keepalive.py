"""The keep-alive wheel: one timer for every session, deadlines kept within a bucket."""

from __future__ import annotations

import asyncio

from industryos.transport.mqtt.keepalive import KeepAliveWheel, granularity_ms


class Probe:
    """A watched item that records when it was checked and may ask to be checked again."""

    def __init__(self, wheel: KeepAliveWheel, again: float | None = None) -> None:
        self.wheel = wheel
        self.again = again
        self.calls: list[float] = []
        self.tick = 0

    def keep_alive_due(self) -> None:
        loop = asyncio.get_running_loop()
        self.calls.append(loop.time())
        if self.again is not None and len(self.calls) == 1:
            self.tick = self.wheel.add(self, loop.time() + self.again, 10)


def test_granularity_is_a_fraction_of_the_limit_within_bounds() -> None:
    assert granularity_ms(0.1) == 10
    assert granularity_ms(1.5) == 23
    assert granularity_ms(90.0) == 1000


async def test_items_fire_at_their_deadline_not_before_and_share_one_timer() -> None:
    loop = asyncio.get_running_loop()
    wheel = KeepAliveWheel(loop)
    start = loop.time()
    early, late = Probe(wheel), Probe(wheel)
    wheel.add(late, start + 0.2, 10)
    wheel.add(early, start + 0.1, 10)
    assert wheel.watched == 2
    await asyncio.sleep(0.15)
    assert len(early.calls) == 1 and not late.calls
    assert early.calls[0] >= start + 0.1
    await asyncio.sleep(0.1)
    assert len(late.calls) == 1 and late.calls[0] >= start + 0.2
    assert wheel.watched == 0


async def test_removed_items_are_not_called_and_re_added_items_fire_again() -> None:
    loop = asyncio.get_running_loop()
    wheel = KeepAliveWheel(loop)
    start = loop.time()
    gone, again = Probe(wheel), Probe(wheel, again=0.05)
    wheel.remove(gone, wheel.add(gone, start + 0.05, 10))
    wheel.add(again, start + 0.05, 10)
    await asyncio.sleep(0.2)
    assert gone.calls == []
    assert len(again.calls) == 2
    assert again.calls[1] - again.calls[0] >= 0.05
