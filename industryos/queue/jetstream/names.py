"""Names of the JetStream objects that hold a queue: streams, subjects, consumers, leases.

Every name starts from the queue's *prefix*, so several clusters (or test runs) can share
one NATS server without touching each other's streams.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

__all__ = [
    "consumer_name",
    "lease_bucket",
    "lease_key",
    "member_key",
    "owner_of",
    "partition_subject",
    "stream_name",
    "topic_subjects",
    "valid_prefix",
]

_PREFIX = re.compile(r"^[A-Za-z0-9_-]{1,32}$")

MEMBER_PREFIX = "member."
"""The lease bucket's keys of live members (a member's key expires with the bucket's TTL)."""


def valid_prefix(prefix: str) -> bool:
    """A prefix every derived name accepts (JetStream stream and consumer names have no dot)."""
    return _PREFIX.match(prefix) is not None


def stream_name(prefix: str, topic: str) -> str:
    """The stream of one topic."""
    return f"{prefix}_{topic}"


def topic_subjects(prefix: str, topic: str) -> str:
    """The subjects a topic's stream holds: one per partition."""
    return f"{prefix}.queue.{topic}.*"


def partition_subject(prefix: str, topic: str, partition: int) -> str:
    """The subject of one partition."""
    return f"{prefix}.queue.{topic}.{partition}"


def consumer_name(group: str, partition: int, member: str) -> str:
    """A member's durable consumer of one partition for one group. The member is part of the
    name so that an earlier owner's late acks cannot reach the consumer of the next one."""
    return f"{group}_{partition}_{member}"


def lease_bucket(prefix: str) -> str:
    """The key-value bucket of the members and their partition leases."""
    return f"{prefix}_leases"


def lease_key(group: str, topic: str, partition: int) -> str:
    """The lease of one partition of one topic for one group."""
    return f"lease.{group}.{topic}.{partition}"


def member_key(member: str) -> str:
    """A live member's key."""
    return f"{MEMBER_PREFIX}{member}"


def owner_of(key: str, members: Sequence[str]) -> str:
    """The member that should hold ``key``: rendezvous hashing, so when a member comes or
    goes only the keys it wins or held move (each member computes the same answer)."""
    return max(
        members,
        key=lambda member: hashlib.blake2b(f"{member}/{key}".encode(), digest_size=8).digest(),
    )
