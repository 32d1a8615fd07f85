"""Child process of the crash test: append and consume as fast as possible until killed.

Usage: ``python crash_child.py DATA_DIR CYCLE``. Prints one line per acknowledgement, written
unbuffered right after the queue returned, so whatever the parent reads was acknowledged:

* ``A <msg id>``: ``append`` returned for this message (it must survive the kill);
* ``C <partition> <offset>``: the ``child`` group's ack up to ``offset`` returned.

A ``keep`` group is registered and never acks, so no segment is deleted and the parent can
check every appended message. Segments are small so the log rolls while being killed.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path

from industryos.entities.ids import EntityType
from industryos.msg import EntityRef, Msg, MsgType
from industryos.queue.embedded import EmbeddedQueue, EmbeddedQueueConfig

TOPICS = {"Main": 3}
SEGMENT_BYTES = 64 * 1024
PRODUCERS = 32


def config(data_dir: Path) -> EmbeddedQueueConfig:
    """The configuration the child and the parent's checks share."""
    return EmbeddedQueueConfig(data_dir, TOPICS, segment_bytes=SEGMENT_BYTES)


def say(line: str) -> None:
    """Write one line to stdout now (no buffer to lose on SIGKILL)."""
    os.write(1, (line + "\n").encode())


async def produce(queue: EmbeddedQueue, cycle: int, n: int) -> None:
    """Append one originator's messages in sequence, forever."""
    originator = EntityRef(EntityType.DEVICE, uuid.UUID(int=(cycle << 16) + n))
    tenant = uuid.UUID(int=1)
    seq = 0
    while True:
        data = f'{{"cycle":{cycle},"producer":{n},"seq":{seq},"temperature":21.5}}'
        msg = Msg(MsgType.POST_TELEMETRY_REQUEST, originator, tenant, data=data)
        await queue.append("Main", msg)
        say(f"A {msg.id}")
        seq += 1


async def consume(queue: EmbeddedQueue) -> None:
    """Consume and ack as the ``child`` group, forever."""
    consumer = await queue.subscribe("Main", "child")
    while True:
        for batch in await consumer.fetch(200):
            await consumer.ack(batch.partition, batch.last_offset)
            say(f"C {batch.partition} {batch.last_offset}")


async def main(data_dir: Path, cycle: int) -> None:
    """Open the queue and run producers and a consumer until killed."""
    queue = await EmbeddedQueue.open(config(data_dir))
    await (await queue.subscribe("Main", "keep")).close()
    say("READY")
    await asyncio.gather(consume(queue), *(produce(queue, cycle, n) for n in range(PRODUCERS)))


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2])))
