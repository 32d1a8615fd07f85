"""Where entity lifecycle messages go: the rule engine's input, behind a one-method protocol.

Services announce ENTITY_CREATED, ENTITY_UPDATED, ATTRIBUTES_UPDATED… as :class:`Msg` objects.
The node wires the publisher to the durable queue; a service never knows which queue.
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol

import orjson

from industryos.entities.ids import NULL_UUID, EntityType
from industryos.msg import EntityRef, Msg, MsgType
from industryos.queue.interface import QueueProducer


class MsgPublisher(Protocol):
    """Accepts a message for the rule engine; returns once it is durably queued."""

    async def publish(self, msg: Msg) -> None:
        """Hand ``msg`` to the rule engine."""


def entity_msg(
    msg_type: MsgType,
    entity_type: EntityType,
    entity_id: uuid.UUID,
    tenant_id: uuid.UUID,
    data: Any,
    *,
    customer_id: uuid.UUID | None = None,
    metadata: dict[str, str] | None = None,
) -> Msg:
    """A rule-engine message about one entity, with a JSON body."""
    return Msg(
        type=msg_type.value,
        originator=EntityRef(entity_type, entity_id),
        tenant_id=tenant_id,
        customer_id=customer_id or NULL_UUID,
        data=orjson.dumps(data).decode(),
        metadata=metadata or {},
    )


class QueuePublisher:
    """Publishes rule-engine messages by appending them to a topic of the durable queue."""

    def __init__(self, queue: QueueProducer, topic: str) -> None:
        self._queue = queue
        self._topic = topic

    async def publish(self, msg: Msg) -> None:
        """Append ``msg``; returns once it is durable."""
        await self._queue.append(self._topic, msg)
