"""Change notices between nodes: another node applies them, the sender does not, and a hook
that fires again while a remote notice is applied does not echo it back."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from industryos.queue.bus import InProcessBus
from industryos.queue.bus.changes import ClusterChanges


@pytest.fixture
async def two_nodes() -> AsyncIterator[tuple[ClusterChanges, ClusterChanges]]:
    """Two nodes' relays on one in-process bus (a subject of their own)."""
    bus = InProcessBus()
    subject = f"industryos.test.{uuid.uuid4().hex}"
    a, b = ClusterChanges(bus, subject), ClusterChanges(bus, subject)
    yield a, b
    await a.stop()
    await b.stop()
    await bus.close()


async def _until(condition: Any) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not within 10 s")


async def test_the_other_node_applies_a_notice_the_sender_does_not(
    two_nodes: tuple[ClusterChanges, ClusterChanges],
) -> None:
    a, b = two_nodes
    applied_a: list[dict[str, Any]] = []
    applied_b: list[dict[str, Any]] = []
    announce_a = a.kind("credentials", applied_a.append)
    b.kind("credentials", applied_b.append)
    await a.start()
    await b.start()
    announce_a({"id": "token-1"})
    announce_a({"id": "token-2"})
    await _until(lambda: len(applied_b) == 2)
    assert [n["id"] for n in applied_b] == ["token-1", "token-2"]
    assert applied_a == []
    assert (a.out.sent, b.applied) == (2, 2)


async def test_a_hook_firing_during_apply_does_not_echo(
    two_nodes: tuple[ClusterChanges, ClusterChanges],
) -> None:
    """Node B's apply runs the same local hooks a local change runs, its announcer among
    them: that announcement is dropped, so node A never hears its own change back."""
    a, b = two_nodes
    heard_a: list[dict[str, Any]] = []
    heard_b: list[dict[str, Any]] = []
    announce_a = a.kind("chain", heard_a.append)
    announce_b: list[Any] = []

    def apply_b(notice: dict[str, Any]) -> None:
        heard_b.append(notice)
        announce_b[0](notice)  # the local hook announces what it just heard

    announce_b.append(b.kind("chain", apply_b))
    await a.start()
    await b.start()
    announce_a({"tenant": "t"})
    await _until(lambda: heard_b)
    announce_b[0]({"tenant": "local"})  # a real local change still goes out
    await _until(lambda: heard_a)
    assert [n["tenant"] for n in heard_a] == ["local"]
    assert b.out.sent == 1


async def test_unknown_and_broken_notices_are_logged_and_skipped(
    two_nodes: tuple[ClusterChanges, ClusterChanges],
    caplog: pytest.LogCaptureFixture,
) -> None:
    a, b = two_nodes
    announce_a = a.kind("device", lambda n: None)
    a.kind("other", lambda n: None)
    applied: list[uuid.UUID] = []
    b.kind("device", lambda n: applied.append(uuid.UUID(n["id"])))
    await a.start()
    await b.start()
    with caplog.at_level(logging.WARNING):
        announce_a({"id": "not-a-uuid"})
        a.kind("third", lambda n: None)({})  # a kind node B does not know
        device = uuid.uuid4()
        announce_a({"id": str(device)})
        await _until(lambda: applied)
    assert applied == [device]
    assert "unreadable notice" in caplog.text
    assert "unknown notice" in caplog.text


def test_a_kind_is_registered_once() -> None:
    changes = ClusterChanges(InProcessBus())
    changes.kind("chain", lambda n: None)
    with pytest.raises(ValueError, match="registered already"):
        changes.kind("chain", lambda n: None)
