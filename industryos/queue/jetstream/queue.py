"""The queue on NATS JetStream: what a cluster's nodes share, so no node's disk holds
messages that only it can process.

One stream per topic (``<prefix>_<topic>``, subjects ``<prefix>.queue.<topic>.<partition>``,
file storage, a work queue: what the group acked is deleted). The partition count is fixed
when the stream is created and kept in its description; every node then uses the stream's
count whatever its own configuration says, since another count would move originators
between partitions and break their order. An append returns once the stream acknowledged
every message (stored on every replica); the consumers' partitions are shared out between
the members by :mod:`industryos.queue.jetstream.leases`.

Durability is JetStream's: a message is acknowledged once the server (every replica, with
``replicas`` > 1) has it in its stream file; NATS writes that file at once but syncs it to
disk every two minutes by default, so a power loss of a one-server, one-replica setup can
lose what the operating system had not written yet. Killing a node loses nothing.

Design limit: one consumer group per topic (a work-queue stream lets one consumer read each
subject); the rule engine is the only group.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import secrets
import socket
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

from nats.aio.client import Client
from nats.errors import Error as NatsError
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError

from industryos.msg import Msg
from industryos.queue.embedded.stats import GroupLag, QueueStats
from industryos.queue.interface import (
    QueueClosedError,
    QueueConfigError,
    QueueError,
    partition_for,
    record_bytes,
)
from industryos.queue.jetstream.consumer import JetStreamConsumer
from industryos.queue.jetstream.leases import PartitionLeases
from industryos.queue.jetstream.names import (
    lease_bucket,
    partition_subject,
    stream_name,
    topic_subjects,
    valid_prefix,
)
from industryos.queue.jetstream.publisher import PubAcks
from industryos.queue.nats_client import close_nats, connect_nats
from industryos.queue.ordering import ordered
from industryos.start_refused import StartRefused

__all__ = ["JetStreamConfig", "JetStreamQueue", "QueueUnreachable", "delete_queue"]

log = logging.getLogger(__name__)

_PARTITIONS = re.compile(r"partitions=(\d+)")


class QueueUnreachable(QueueError, StartRefused):
    """The JetStream queue cannot be opened: nothing answers at its URL, or the server has
    JetStream off (a node cannot start without its queue)."""


@dataclass(frozen=True, slots=True)
class JetStreamConfig:
    """Where the queue is and how its streams are made."""

    url: str
    prefix: str = "industryos"
    """Start of every stream, subject and bucket name: one per cluster on a NATS server."""
    topics: Mapping[str, int] = field(
        default_factory=lambda: {"Main": 10, "HighPriority": 10, "SequentialByOriginator": 10}
    )
    """Partitions of each topic *created* here (ThingsBoard's default for its queues is
    10): a cluster's members share out partitions, so there are more than members."""
    replicas: int = 1
    """Copies of each stream on a clustered NATS (at most its server count)."""
    max_record_bytes: int = 1 << 20
    max_unacked: int = 10_000
    """Messages one member may hold per partition without acking."""
    lease_ttl_s: float = 10.0
    """How long a dead member's partitions wait before others take them."""
    publish_timeout_s: float = 5.0
    """How long an append waits for the stream's acknowledgement."""
    member: str = ""
    """This member's name (default: host, process id and a random part)."""

    def validate(self) -> None:
        """Raise :class:`QueueConfigError` on a setting the queue cannot run with."""
        if not valid_prefix(self.prefix):
            raise QueueConfigError(f"queue prefix {self.prefix!r} must match [A-Za-z0-9_-]{{1,32}}")
        for topic, partitions in self.topics.items():
            if not valid_prefix(topic):
                raise QueueConfigError(f"topic name {topic!r} must match [A-Za-z0-9_-]{{1,32}}")
            if not 1 <= partitions <= 1024:
                raise QueueConfigError(f"topic {topic}: partitions must be 1..1024")
        if not 1 <= self.replicas <= 5:
            raise QueueConfigError("replicas must be 1..5")
        if self.lease_ttl_s < 1:
            raise QueueConfigError("lease_ttl_s must be at least 1 s")


def _member_name() -> str:
    host = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:24]
    return f"{host}-{os.getpid()}-{secrets.token_hex(3)}"


class JetStreamQueue:
    """The queue on NATS JetStream (see :class:`industryos.queue.Queue`). Open with
    :meth:`connect`."""

    def __init__(
        self,
        config: JetStreamConfig,
        client: Client,
        js: JetStreamContext,
        partitions: dict[str, int],
        pubacks: PubAcks,
        leases: PartitionLeases,
    ) -> None:
        self._config = config
        self._client = client
        self._js = js
        self._partitions = partitions
        self._subjects = {
            topic: [partition_subject(config.prefix, topic, p) for p in range(count)]
            for topic, count in partitions.items()
        }
        self._pubacks = pubacks
        self.leases = leases
        self._consumers: list[JetStreamConsumer] = []
        self._moved_listeners: list[Callable[[str, int, int], None]] = []
        self._closed = False
        self._appended = 0
        self._batches = 0
        self._bytes = 0
        self._failures = 0
        self._acks = 0

    @classmethod
    async def connect(cls, config: JetStreamConfig) -> JetStreamQueue:
        """Connect, create (or adopt) every topic's stream and join the members."""
        config.validate()
        opened: list[JetStreamQueue] = []

        def reconnected() -> None:
            for queue in opened:
                queue._reconnected()

        try:
            client = await connect_nats(
                config.url, name="industryos-queue", log=log, what="queue", reconnected=reconnected
            )
        except (NatsError, OSError) as exc:
            raise QueueUnreachable(f"cannot connect to the queue at {config.url}: {exc}") from exc
        js = client.jetstream()
        try:
            partitions = {
                topic: await _ensure_stream(js, config, topic, count)
                for topic, count in config.topics.items()
            }
            pubacks = PubAcks(client, config.publish_timeout_s)
            await pubacks.start()
            leases = PartitionLeases(
                js, lease_bucket(config.prefix), config.member or _member_name(), config.lease_ttl_s
            )
            await leases.start()
        except NatsError as exc:
            await client.close()
            raise QueueUnreachable(
                f"the queue at {config.url} cannot be used (is JetStream on? `nats-server -js`):"
                f" {exc!r}"
            ) from exc
        opened.append(cls(config, client, js, partitions, pubacks, leases))
        return opened[0]

    # -- producer ------------------------------------------------------------------------

    def partition_count(self, topic: str) -> int:
        """How many partitions ``topic`` has."""
        return len(self._topic_subjects(topic))

    async def append(self, topic: str, msg: Msg) -> None:
        """Append ``msg`` to its originator's partition; returns once the stream has it."""
        await self.append_many(topic, [msg])

    async def append_many(self, topic: str, msgs: Sequence[Msg]) -> None:
        """Append several messages; returns once the stream acknowledged every one."""
        subjects = self._topic_subjects(topic)
        records: list[tuple[str, bytes, str]] = []
        for msg in msgs:
            payload = record_bytes(msg, self._config.max_record_bytes)
            subject = subjects[partition_for(msg.originator.id, len(subjects))]
            records.append((subject, payload, str(msg.id)))
        futures: list[asyncio.Future[int]] = []
        try:
            for subject, payload, msg_id in records:
                futures.append(await self._pubacks.publish(subject, payload, msg_id))
                self._bytes += len(payload)
            ordered()
            await self._pubacks.wait(futures)
        except QueueError:
            self._failures += 1
            raise
        self._appended += len(records)
        self._batches += 1

    def _topic_subjects(self, topic: str) -> list[str]:
        if self._closed:
            raise QueueClosedError("the queue is closed")
        subjects = self._subjects.get(topic)
        if subjects is None:
            raise QueueConfigError(f"unknown topic {topic!r}")
        return subjects

    # -- consumers -----------------------------------------------------------------------

    async def subscribe(
        self, topic: str, group: str, partitions: Collection[int] | None = None
    ) -> JetStreamConsumer:
        """Join ``group`` on ``topic``. With ``partitions`` None (the rule engine) the
        members share the partitions out; given ones are consumed here whoever else runs
        (a single member, tests)."""
        count = self.partition_count(topic)
        if not valid_prefix(group):
            raise QueueConfigError(f"group name {group!r} must match [A-Za-z0-9_-]{{1,32}}")
        if partitions is not None and not set(partitions) <= set(range(count)):
            raise QueueConfigError(f"topic {topic} has partitions 0..{count - 1}")
        consumer = JetStreamConsumer(
            self._client,
            self._js,
            self._config.prefix,
            topic,
            group,
            self.leases.member,
            self._config.max_unacked,
            self._consumer_closed,
            self._partition_moved,
        )
        self._consumers.append(consumer)
        if partitions is None:
            self.leases.add(consumer, count)
        else:
            for partition in sorted(partitions):
                await consumer.gain(partition)
        return consumer

    def on_partition_moved(self, listener: Callable[[str, int, int], None]) -> None:
        """Call ``listener(topic, partition, partitions)`` whenever a partition comes to or
        leaves this member: what a node keeps per originator in memory is then another
        node's, or was until now."""
        self._moved_listeners.append(listener)

    def _partition_moved(self, consumer: JetStreamConsumer, partition: int) -> None:
        count = self._partitions[consumer.topic]
        for listener in self._moved_listeners:
            try:
                listener(consumer.topic, partition, count)
            except Exception:
                log.error("a partition listener failed", exc_info=True)

    async def _consumer_closed(self, consumer: JetStreamConsumer) -> None:
        if consumer in self._consumers:
            self._consumers.remove(consumer)
            self._acks += consumer.acks
        await self.leases.remove(consumer)

    def _reconnected(self) -> None:
        for consumer in self._consumers:
            consumer.reconnected()

    # -- state -------------------------------------------------------------------------------

    @property
    def writes_refused(self) -> bool:
        """True while the NATS connection is down (appends fail or wait for it)."""
        return not self._client.is_connected

    @property
    def refusal(self) -> str | None:
        """Why appends fail now (for ``/api/health``), None while they are taken."""
        if not self.writes_refused:
            return None
        return "the queue (NATS JetStream) is not reachable; reconnecting"

    def stats(self) -> QueueStats:
        """Counters in the embedded queue's shape: a commit is one append batch, an offset
        commit one confirmed ack; there are no fsyncs or segments of our own."""
        lags = tuple(
            GroupLag(consumer.group, consumer.topic, partition, 0, lag)
            for consumer in self._consumers
            for partition, lag in consumer.lag().items()
        )
        return QueueStats(
            appended=self._appended,
            commits=self._batches,
            fsyncs=0,
            bytes_written=self._bytes,
            offset_commits=self._acks + sum(consumer.acks for consumer in self._consumers),
            offset_fsyncs=0,
            write_failures=self._failures,
            offset_write_failures=0,
            writes_refused=self.writes_refused,
            partitions=(),
            lags=lags,
        )

    async def close(self) -> None:
        """Close the consumers, leave the members (handing partitions over) and disconnect."""
        if self._closed:
            return
        self._closed = True
        for consumer in list(self._consumers):
            await consumer.close()
        await self.leases.stop()
        await self._pubacks.stop()
        await close_nats(self._client, log=log, what="queue")


async def _ensure_stream(
    js: JetStreamContext, config: JetStreamConfig, topic: str, count: int
) -> int:
    """The stream of ``topic``, created with ``count`` partitions when it does not exist;
    returns the partition count it has."""
    name = stream_name(config.prefix, topic)
    try:
        info = await js.stream_info(name)
    except NotFoundError:
        try:
            info = await js.add_stream(
                StreamConfig(
                    name=name,
                    description=f"IndustryOS queue topic {topic}: partitions={count}",
                    subjects=[topic_subjects(config.prefix, topic)],
                    retention=RetentionPolicy.WORK_QUEUE,
                    storage=StorageType.FILE,
                    num_replicas=config.replicas,
                    max_msg_size=config.max_record_bytes + 4096,
                )
            )
        except NatsError:  # another node created it meanwhile
            info = await js.stream_info(name)
    found = _PARTITIONS.search(info.config.description or "")
    if found is None:
        raise QueueConfigError(f"stream {name} was not made by IndustryOS (no partition count)")
    partitions = int(found.group(1))
    if partitions != count:
        log.warning(
            "queue topic %s keeps the %d partitions it was created with (configured: %d)",
            topic,
            partitions,
            count,
        )
    return partitions


async def delete_queue(url: str, prefix: str) -> None:
    """Delete every stream and the lease bucket of ``prefix``: a decommissioned cluster's
    queue, or a test's or benchmark's own (what they held is gone)."""
    client = await connect_nats(url, name="industryos-queue-delete", log=log, what="queue")
    try:
        js = client.jetstream()
        for info in await js.streams_info():
            name = info.config.name
            if name is not None and name.startswith(f"{prefix}_"):
                await js.delete_stream(name)
        with contextlib.suppress(NotFoundError):
            await js.delete_key_value(lease_bucket(prefix))
    finally:
        await client.close()
