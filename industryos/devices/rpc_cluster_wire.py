"""What cluster RPC puts on the bus: the subject of a device, the request and the answer.

A node that holds a session of a device serves the subject ``industryos.rpc.device.<id>``;
another node sends it a :class:`RemoteCall` as a bus request and gets the device's outcome
back as the answer (JSON, short keys: these cross the network once per call).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

import orjson

from industryos.devices.rpc import RpcOutcome, RpcResult

__all__ = [
    "DEVICE_SUBJECT",
    "BadClusterRpc",
    "RemoteCall",
    "RemoteKind",
    "decode_result",
    "device_subject",
    "encode_result",
]

DEVICE_SUBJECT = "industryos.rpc.device."
"""Bus subject prefix; the device id completes it."""


def device_subject(device_id: uuid.UUID) -> str:
    """The subject served by the node holding a session of ``device_id``."""
    return DEVICE_SUBJECT + str(device_id)


class BadClusterRpc(ValueError):
    """A bus payload that is not a cluster RPC request or answer."""


class RemoteKind(StrEnum):
    """What the serving node is asked to do."""

    CALL = "call"
    """Send one plain call to the device and answer with its outcome."""
    FLUSH = "flush"
    """Send the device's QUEUED persistent calls (they are in the shared database)."""


@dataclass(frozen=True, slots=True)
class RemoteCall:
    """A request to the node holding the device's session."""

    kind: RemoteKind
    tenant_id: uuid.UUID
    device_id: uuid.UUID
    request_uuid: uuid.UUID
    method: str = ""
    params: str = "{}"
    """JSON text."""
    oneway: bool = False
    timeout_s: float = 0.0
    """Relative, so the nodes' clocks need not agree."""

    def encode(self) -> bytes:
        """The bus payload."""
        return orjson.dumps(
            {
                "k": self.kind.value,
                "t": str(self.tenant_id),
                "d": str(self.device_id),
                "r": str(self.request_uuid),
                "m": self.method,
                "p": self.params,
                "o": self.oneway,
                "s": self.timeout_s,
            }
        )

    @classmethod
    def decode(cls, payload: bytes) -> RemoteCall:
        """Read a bus payload; :class:`BadClusterRpc` when it is not a request."""
        try:
            raw = orjson.loads(payload)
            return cls(
                kind=RemoteKind(raw["k"]),
                tenant_id=uuid.UUID(raw["t"]),
                device_id=uuid.UUID(raw["d"]),
                request_uuid=uuid.UUID(raw["r"]),
                method=str(raw["m"]),
                params=str(raw["p"]),
                oneway=raw["o"] is True,
                timeout_s=max(0.0, float(raw["s"])),
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise BadClusterRpc(f"bad cluster RPC request: {exc!r}") from None


def encode_result(result: RpcResult) -> bytes:
    """The answer carrying a device's outcome."""
    return orjson.dumps(
        {
            "o": result.outcome.value,
            "i": result.request_id,
            "r": result.response,
            "dl": result.delivered,
        }
    )


def decode_result(payload: bytes) -> RpcResult:
    """Read an answer; :class:`BadClusterRpc` when it is not one."""
    try:
        raw = orjson.loads(payload)
        request_id, response = raw["i"], raw["r"]
        return RpcResult(
            RpcOutcome(raw["o"]),
            None if request_id is None else int(request_id),
            None if response is None else str(response),
            delivered=raw["dl"] is True,
        )
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise BadClusterRpc(f"bad cluster RPC answer: {exc!r}") from None
