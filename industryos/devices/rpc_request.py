"""A server-to-device RPC as the rule engine carries it: RPC_CALL_FROM_SERVER_TO_DEVICE.

REST builds the message (spec platform-api §3.7): originator = the device, data
``{"method", "params", "additionalInfo"}``, metadata ``requestUUID``, ``expirationTime``,
``oneway``, ``persistent``, ``retries`` (persistent only), ``originServiceId``,
``deviceName``, ``deviceType``. The "rpc call request" node reads it back with
:meth:`ToDeviceRpc.from_msg`, so a chain that rewrites the body or metadata on the way
changes what the device gets, as in ThingsBoard.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

import orjson

from industryos.entities.ids import NULL_UUID, EntityType, now_ms
from industryos.msg import EntityRef, Msg, MsgType

__all__ = ["ORIGIN_SERVICE_ID", "BadRpcMessage", "ToDeviceRpc"]

log = logging.getLogger(__name__)

ORIGIN_SERVICE_ID = "industryos"
"""``originServiceId`` of messages built here (one process: replies come back in it)."""


class BadRpcMessage(ValueError):
    """The message cannot be turned into a device RPC (its text says why)."""


@dataclass(frozen=True, slots=True)
class ToDeviceRpc:
    """Everything needed to send one RPC to one device and route its outcome back."""

    request_uuid: uuid.UUID
    tenant_id: uuid.UUID
    device_id: uuid.UUID
    method: str
    params: str
    """JSON text (any JSON value)."""
    expiration_time: int
    """Epoch ms after which nobody waits for the call any more."""
    oneway: bool = False
    persistent: bool = False
    retries: int = 0
    timeout_ms: int = 10_000
    additional_info: str | None = None
    """JSON text, or None."""
    customer_id: uuid.UUID = NULL_UUID
    device_name: str = ""
    device_type: str = ""

    def remaining_s(self) -> float:
        """Seconds until expiration (never negative)."""
        return max(0.0, (self.expiration_time - now_ms()) / 1000)

    def to_msg(self) -> Msg:
        """The rule-engine message REST sends."""
        body = {
            "method": self.method,
            "params": orjson.Fragment(self.params),
            "additionalInfo": orjson.Fragment(self.additional_info or "null"),
        }
        metadata = {
            "requestUUID": str(self.request_uuid),
            "expirationTime": str(self.expiration_time),
            "oneway": _flag(self.oneway),
            "persistent": _flag(self.persistent),
            "originServiceId": ORIGIN_SERVICE_ID,
            "deviceName": self.device_name,
            "deviceType": self.device_type,
        }
        if self.persistent:
            metadata["retries"] = str(self.retries)
        return Msg(
            type=MsgType.RPC_CALL_FROM_SERVER_TO_DEVICE.value,
            originator=EntityRef(EntityType.DEVICE, self.device_id),
            tenant_id=self.tenant_id,
            customer_id=self.customer_id,
            data=orjson.dumps(body).decode(),
            metadata=metadata,
        )

    @classmethod
    def from_msg(cls, msg: Msg, default_timeout_ms: int) -> ToDeviceRpc:
        """Read a message back; missing metadata gets the node's defaults (a new id,
        expiration ``default_timeout_ms`` from now). Raises :class:`BadRpcMessage`."""
        if msg.originator.entity_type is not EntityType.DEVICE:
            raise BadRpcMessage("RPC call request is only supported for DEVICE originators")
        try:
            body = orjson.loads(msg.data) if msg.data else None
        except orjson.JSONDecodeError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("method"), str):
            raise BadRpcMessage('Message body must be {"method": ..., "params": ...}')
        meta = msg.metadata
        params = body.get("params", {})
        info = body.get("additionalInfo")
        try:
            request_uuid = uuid.UUID(meta["requestUUID"]) if meta.get("requestUUID") else None
            expiration = int(meta["expirationTime"]) if meta.get("expirationTime") else None
            retries = int(meta.get("retries") or 0)
        except ValueError as exc:
            raise BadRpcMessage(f"Bad RPC metadata: {exc}") from None
        now = now_ms()
        expiration = expiration if expiration is not None else now + default_timeout_ms
        return cls(
            request_uuid=request_uuid or uuid.uuid4(),
            tenant_id=msg.tenant_id,
            customer_id=msg.customer_id,
            device_id=msg.originator.id,
            method=body["method"],
            params=_params_text(params),
            expiration_time=expiration,
            oneway=meta.get("oneway") == "true",
            persistent=meta.get("persistent") == "true",
            retries=max(0, retries),
            timeout_ms=max(0, expiration - now),
            additional_info=None if info is None else orjson.dumps(info).decode(),
            device_name=meta.get("deviceName", ""),
            device_type=meta.get("deviceType", ""),
        )


def _params_text(value: object) -> str:
    """Params as JSON text. A string holding a JSON object or array is that JSON (a chain
    script may set params as text, as ThingsBoard reads them); any other value is itself."""
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            orjson.loads(value)
        except orjson.JSONDecodeError:
            log.debug("RPC params %r are text, not JSON", value[:64])
        else:
            return value.strip()
    return orjson.dumps(value).decode()


def _flag(value: bool) -> str:
    return "true" if value else "false"
