"""A member that fetches without acking, then waits to be killed: ``python member_child.py
URL PREFIX TTL PARTITIONS``. Prints ``held <partitions> fetched <count>`` once messages came to its
partitions and no more came for 0.5 s."""

from __future__ import annotations

import asyncio
import sys

from industryos.queue.jetstream import JetStreamConfig, JetStreamQueue


async def main(url: str, prefix: str, ttl: float, partitions: int) -> None:
    queue = await JetStreamQueue.connect(
        JetStreamConfig(url=url, prefix=prefix, topics={"Main": partitions}, lease_ttl_s=ttl)
    )
    consumer = await queue.subscribe("Main", "rules")
    await asyncio.wait_for(queue.leases.settled(), 30)
    fetched = 0  # what its partitions get, once some came and nothing more for 0.5 s
    while (batches := await consumer.fetch(1000, max_wait=0.5)) or not fetched:
        fetched += sum(len(batch.records) for batch in batches)
    print("held", ",".join(map(str, consumer.partitions)), "fetched", fetched, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])))
