"""Long polls as one-shot device sessions (``transport/http/longpoll.py``)."""

from __future__ import annotations

import pytest

from industryos.devices.sessions import DeliveryFailed, RpcRequest
from industryos.transport.http.longpoll import LongPollKind, LongPolls, PollClosed


async def test_a_poll_takes_exactly_one_event() -> None:
    """The first update answers the poll; later sends fail so nothing is silently lost."""
    polls = LongPolls()
    poll = polls.open(LongPollKind.ATTRIBUTES)
    assert poll.wants_attribute_updates and not poll.wants_rpc
    await poll.send_attribute_update(b'{"a":1}')
    assert not poll.wants_attribute_updates
    with pytest.raises(DeliveryFailed):
        await poll.send_attribute_update(b'{"a":2}')
    assert await poll.wait(1) == b'{"a":1}'
    polls.done(poll)
    assert len(polls) == 0


async def test_rpc_poll_carries_the_id() -> None:
    """An RPC poll answers ``{"id","method","params"}`` and refuses attribute pushes."""
    poll = LongPolls().open(LongPollKind.RPC)
    with pytest.raises(DeliveryFailed):
        await poll.send_attribute_update(b"{}")
    await poll.send_rpc_request(RpcRequest(7, "reboot", '{"in":5}'))
    assert await poll.wait(1) == b'{"id":7,"method":"reboot","params":{"in":5}}'


async def test_timeout_and_close() -> None:
    """A poll with no event returns None and wants nothing more; closing raises PollClosed."""
    polls = LongPolls()
    idle = polls.open(LongPollKind.RPC)
    assert await idle.wait(0.05) is None
    assert not idle.wants_rpc
    with pytest.raises(DeliveryFailed):
        await idle.send_rpc_request(RpcRequest(1, "m", "{}"))
    closing = polls.open(LongPollKind.ATTRIBUTES)
    polls.close_all()
    with pytest.raises(PollClosed):
        await closing.wait(1)
