"""Which member of a cluster consumes which partition: members and leases in a NATS bucket.

Every member (a node process) keeps a key ``member.<id>`` alive in the bucket; every key
expires ``ttl_s`` after its last write, so a member that died drops out by itself. Each
round (every quarter of the TTL) a member lists the live members and, per partition of each
topic it consumes, computes the partition's owner by rendezvous hashing, which every member
computes alike. It then:

* renews the leases it holds (a compare-and-set on the lease's revision: a lease that was
  taken meanwhile, or that it could not renew for most of the TTL, is lost at once);
* releases those another member should hold now (once what it fetched is acked);
* claims those it should hold that nobody holds (a create, which only one member wins).

So at most one member consumes a partition at a time, a partition's messages stay in order,
and a member that joins, leaves or dies moves only the partitions it wins or held: a clean
stop hands them over at once, a crash after the TTL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from nats.errors import Error as NatsError
from nats.js.client import JetStreamContext
from nats.js.errors import BucketNotFoundError, KeyWrongLastSequenceError, NotFoundError
from nats.js.kv import KeyValue

from industryos.queue.jetstream.consumer import JetStreamConsumer
from industryos.queue.jetstream.names import MEMBER_PREFIX, lease_key, member_key, owner_of

__all__ = ["PartitionLeases"]

log = logging.getLogger(__name__)

_RENEW_SHARE = 0.25
"""A round every this share of the TTL."""
_GIVE_UP_S = 2.0
"""How long a member that leaves (or a consumer that closes) tries to delete its leases and
its member key: ones it could not delete expire after the TTL."""
_LOST_SHARE = 0.75
"""A lease not renewed for this share of the TTL is given up: another member may take it
once the TTL has passed, and consuming must stop before."""


@dataclass(slots=True)
class _Held:
    consumer: JetStreamConsumer
    partition: int
    revision: int
    renewed: float
    releasing: bool = False
    released: bool = False


class PartitionLeases:
    """This member's view of the cluster, and the partition leases it holds."""

    def __init__(self, js: JetStreamContext, bucket: str, member: str, ttl_s: float) -> None:
        self.member = member
        self._js = js
        self._bucket = bucket
        self._ttl_s = ttl_s
        self._kv: KeyValue | None = None
        self._claimants: dict[JetStreamConsumer, int] = {}
        self._held: dict[str, _Held] = {}
        self._releases: set[asyncio.Task[None]] = set()
        self._kick = asyncio.Event()
        self._lock = asyncio.Lock()
        """Held by a round and by a removal: a lease's revision changes with each renewal,
        and a delete must name the latest."""
        self._round_done = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._warned = False
        self.members: list[str] = []
        """The live members at the last round."""
        self._moves: dict[str, dict[str, list[int]]] = {}
        """What moved in this round, logged in one line per kind at its end (a line per
        partition would be 30 lines a rebalance, past the log's repeat limit)."""

    async def start(self) -> None:
        """Open (or create) the bucket, announce this member and start the rounds."""
        try:
            self._kv = await self._js.key_value(self._bucket)
        except BucketNotFoundError:
            self._kv = await self._js.create_key_value(bucket=self._bucket, ttl=self._ttl_s)
        await self._kv.put(member_key(self.member), b"")
        self._task = asyncio.create_task(self._run())

    def add(self, consumer: JetStreamConsumer, partitions: int) -> None:
        """Hold ``consumer``'s share of its topic's ``partitions`` from the next round on."""
        self._claimants[consumer] = partitions
        self._kick.set()

    async def remove(self, consumer: JetStreamConsumer) -> None:
        """Give up ``consumer``'s leases at once (it closed: what it did not ack goes to the
        next owners, which need not wait for the TTL)."""
        self._claimants.pop(consumer, None)
        async with self._lock:
            mine = [(key, held) for key, held in self._held.items() if held.consumer is consumer]
            for key, _ in mine:
                del self._held[key]
            await self._delete_all(mine)

    async def settled(self) -> None:
        """Return once this member holds exactly the partitions it should, none of them still
        being handed over (tests use it under a time limit)."""
        await self.until(self._is_settled)

    async def until(self, condition: Callable[[], bool]) -> None:
        """Return once ``condition`` holds, checked after each round."""
        while not condition():
            self._round_done.clear()
            await self._round_done.wait()

    def _is_settled(self) -> bool:
        if not self.members:
            return False
        for consumer, count in self._claimants.items():
            for partition in range(count):
                key = lease_key(consumer.group, consumer.topic, partition)
                wanted = owner_of(key, self.members) == self.member
                held = self._held.get(key)
                if wanted != (held is not None) or (held is not None and held.releasing):
                    return False  # (one being released is held until its lease is deleted)
        return True

    async def stop(self) -> None:
        """Stop the rounds, give up every lease and leave the cluster."""
        async with self._lock:  # (a round's renewals finish first)
            if self._task is not None:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
                self._task = None
            for task in list(self._releases):
                task.cancel()
            held, self._held = list(self._held.items()), {}
            await self._delete_all(held)
        if self._kv is not None:  # purged, not deleted: a delete marker would still be listed
            with contextlib.suppress(NatsError, TimeoutError):
                async with asyncio.timeout(_GIVE_UP_S):
                    await self._js.purge_stream(
                        f"KV_{self._bucket}",
                        subject=f"$KV.{self._bucket}.{member_key(self.member)}",
                    )

    async def _run(self) -> None:
        while True:
            try:
                async with self._lock:
                    await self._round()
                if self._warned:
                    log.info("partition leases: NATS answers again")
                self._warned = False
            except (NatsError, TimeoutError) as exc:
                if not self._warned:
                    log.warning("partition leases: NATS does not answer, retrying: %r", exc)
                self._warned = True
                self._give_up_stale()
            self._log_moves()
            self._round_done.set()
            self._kick.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kick.wait(), self._ttl_s * _RENEW_SHARE)

    async def _round(self) -> None:
        kv = self._kv
        assert kv is not None
        await kv.put(member_key(self.member), b"")
        members = sorted(await self._live_members() | {self.member})
        if members != self.members:
            log.info("partition leases: members %s", ", ".join(members))
        self.members = members
        value = self.member.encode()
        for consumer, count in list(self._claimants.items()):
            for partition in range(count):
                key = lease_key(consumer.group, consumer.topic, partition)
                wanted = owner_of(key, members) == self.member
                held = self._held.get(key)
                if held is not None:
                    await self._renew(kv, key, held, value, wanted)
                elif wanted and consumer in self._claimants:
                    await self._claim(kv, key, consumer, partition, value)

    def _moved(self, kind: str, consumer: JetStreamConsumer, partition: int) -> None:
        by_topic = self._moves.setdefault(kind, {})
        by_topic.setdefault(f"{consumer.topic}/{consumer.group}", []).append(partition)

    def _log_moves(self) -> None:
        """One line per kind of move: ``partitions gained: Main/rule-engine 0,3,5; …``."""
        for kind, by_topic in self._moves.items():
            text = "; ".join(
                f"{topic} {','.join(map(str, sorted(partitions)))}"
                for topic, partitions in by_topic.items()
            )
            level = logging.WARNING if kind == "lost" else logging.INFO
            log.log(level, "partitions %s: %s", kind, text)
        self._moves.clear()

    async def _live_members(self) -> set[str]:
        """The members whose key has not expired: one stream request (the bucket's ``keys``
        would create and delete a consumer each round)."""
        info = await self._js.stream_info(
            f"KV_{self._bucket}", subjects_filter=f"$KV.{self._bucket}.{MEMBER_PREFIX}>"
        )
        subjects = info.state.subjects or {}
        start = len(f"$KV.{self._bucket}.{MEMBER_PREFIX}")
        return {subject[start:] for subject in subjects}

    async def _renew(self, kv: KeyValue, key: str, held: _Held, value: bytes, wanted: bool) -> None:
        if held.released:  # what it fetched is acked: hand the partition over
            del self._held[key]
            await self._delete(key, held.revision)
            self._moved("released", held.consumer, held.partition)
            return
        try:
            held.revision = await kv.update(key, value, last=held.revision)
        except (KeyWrongLastSequenceError, NotFoundError):
            del self._held[key]
            held.consumer.lose(held.partition)
            self._moved("lost", held.consumer, held.partition)
            return
        held.renewed = time.monotonic()
        if not wanted and not held.releasing:
            held.releasing = True
            task = asyncio.create_task(self._release(held))
            self._releases.add(task)
            task.add_done_callback(self._releases.discard)

    async def _claim(
        self, kv: KeyValue, key: str, consumer: JetStreamConsumer, partition: int, value: bytes
    ) -> None:
        try:
            revision = await kv.create(key, value)
        except KeyWrongLastSequenceError:
            return  # its holder hands it over once it sees this member
        held = _Held(consumer, partition, revision, time.monotonic())
        self._held[key] = held
        try:
            await consumer.gain(partition)
        except Exception:
            log.error("partition %s could not be consumed; released", key, exc_info=True)
            del self._held[key]
            await self._delete(key, revision)
        else:
            self._moved("gained", consumer, partition)

    async def _release(self, held: _Held) -> None:
        await held.consumer.release(held.partition)
        held.released = True
        self._kick.set()

    def _give_up_stale(self) -> None:
        """Leases not renewed for most of the TTL: stop consuming before another member
        may take them."""
        now = time.monotonic()
        for key, held in list(self._held.items()):
            if now - held.renewed > self._ttl_s * _LOST_SHARE:
                del self._held[key]
                held.consumer.lose(held.partition)
                self._moved("lost", held.consumer, held.partition)

    async def _delete_all(self, held: list[tuple[str, _Held]]) -> None:
        """Delete leases, for at most ``_GIVE_UP_S`` (NATS may be down: they expire)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(_GIVE_UP_S):
                for key, lease in held:
                    await self._delete(key, lease.revision)

    async def _delete(self, key: str, revision: int) -> None:
        if self._kv is None:
            return
        try:
            await self._kv.delete(key, last=revision)
        except (KeyWrongLastSequenceError, NotFoundError):
            pass  # (it expired and was taken meanwhile: not ours to delete)
        except NatsError as exc:
            log.warning("lease %s not given up (it expires by itself): %r", key, exc)
