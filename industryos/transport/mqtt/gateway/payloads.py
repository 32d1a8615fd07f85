"""Reading gateway request bodies and building answers (spec §5.2, §5.3, §9): pure functions.

Device-keyed bodies (telemetry, attributes, claim) are ``{"Dev A": <part>, ...}``; a part
of the wrong kind is skipped with a warning, and a body with nothing usable is refused.
Single-device bodies (connect, disconnect, attribute request, RPC reply) name the child
in ``"device"``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from industryos.transport.device_api import AttributeKeys
from industryos.transport.mqtt.gateway.errors import GatewayPayloadError, GatewayRequestError

__all__ = [
    "AttributeRequest",
    "attribute_request",
    "attribute_response",
    "device_name",
    "device_parts",
    "parse",
    "rpc_reply_body",
    "telemetry_part",
]

log = logging.getLogger(__name__)

MAX_NAME_LENGTH = 255
_METADATA = "metadata"


def parse(payload: bytes) -> dict[str, Any]:
    """The JSON object of a gateway publish."""
    try:
        body = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise GatewayPayloadError(f"invalid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise GatewayRequestError("a gateway message must be a JSON object")
    return body


def _checked_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise GatewayRequestError("empty device name")
    if len(name) > MAX_NAME_LENGTH:
        raise GatewayPayloadError(f"device name longer than {MAX_NAME_LENGTH} characters")
    return name


def device_name(body: dict[str, Any]) -> str:
    """The ``"device"`` of a single-device body."""
    return _checked_name(body.get("device"))


def device_parts(body: dict[str, Any], accept: Callable[[Any], bool]) -> dict[str, Any]:
    """The usable ``name → part`` entries of a device-keyed body."""
    parts: dict[str, Any] = {}
    for name, part in body.items():
        _checked_name(name)
        if accept(part):
            parts[name] = part
        else:
            log.warning("gateway part for %r skipped: wrong kind of value", name)
    if not parts:
        raise GatewayRequestError("no usable device entries")
    return parts


def telemetry_part(items: list[Any]) -> bytes:
    """One child's telemetry list as a §1.2 body, without the gateway's ``metadata``."""
    cleaned = [
        {k: v for k, v in item.items() if k != _METADATA} if isinstance(item, dict) else item
        for item in items
    ]
    return orjson.dumps(cleaned)


@dataclass(frozen=True, slots=True)
class AttributeRequest:
    """A parsed ``v1/gateway/attributes/request``."""

    request_id: int
    device: str
    keys: AttributeKeys
    asked: int
    """How many keys were asked for (decides ``value`` vs ``values`` in the answer)."""


def _keys(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(k, str) for k in value):
        return list(value)
    raise GatewayPayloadError("attribute keys must be strings")


def attribute_request(body: dict[str, Any]) -> AttributeRequest:
    """Read both forms: TB's ``client: bool`` + ``keys``/``key``, and the docs' lists (§9)."""
    request_id = body.get("id")
    if not isinstance(request_id, int) or isinstance(request_id, bool):
        raise GatewayPayloadError('an attribute request needs an integer "id"')
    name = device_name(body)
    client = body.get("client")
    if "keys" in body or "key" in body:
        keys = _keys(body["keys"] if "keys" in body else body["key"])
        if not keys:
            # Gateway 3.8.5 sends keys: [] for "*": every client and shared attribute.
            return AttributeRequest(request_id, name, AttributeKeys(), 0)
        scoped = AttributeKeys(client=keys) if client is True else AttributeKeys(shared=keys)
        return AttributeRequest(request_id, name, scoped, len(keys))
    if isinstance(client, list) or isinstance(body.get("shared"), list):
        client_keys = _keys(client) if client is not None else None
        shared = body.get("shared")
        shared_keys = _keys(shared) if shared is not None else None
        asked = len(client_keys or []) + len(shared_keys or [])
        return AttributeRequest(
            request_id, name, AttributeKeys(client_keys or None, shared_keys or None), asked
        )
    raise GatewayPayloadError('an attribute request needs "keys" or "key"')


def attribute_response(request: AttributeRequest, answer: bytes) -> bytes:
    """The §5.3 answer from the device API's ``{"client": {...}, "shared": {...}}``."""
    sections = orjson.loads(answer)
    values: dict[str, Any] = {}
    for section in ("client", "shared"):
        values.update(sections.get(section) or {})
    response: dict[str, Any] = {"id": request.request_id, "device": request.device}
    if len(values) == 1 and request.asked <= 1:
        response["value"] = next(iter(values.values()))
    elif values:
        response["values"] = values
    return orjson.dumps(response)


def rpc_reply_body(body: dict[str, Any]) -> tuple[str, int, bytes]:
    """``(device, id, reply)`` of a ``v1/gateway/rpc`` body.

    ``data`` may be a JSON value or a JSON-encoded string (gateway 3.8.5 sends both): a
    string that holds JSON is that JSON; any other string is kept as a JSON string.
    """
    name = device_name(body)
    request_id = body.get("id")
    if isinstance(request_id, str) and request_id.isdigit():
        request_id = int(request_id)
    if not isinstance(request_id, int) or isinstance(request_id, bool):
        raise GatewayPayloadError('an RPC reply needs an integer "id"')
    data = body.get("data")
    if isinstance(data, str):
        try:
            orjson.loads(data)
        except orjson.JSONDecodeError:
            return name, request_id, orjson.dumps(data)
        return name, request_id, data.encode()
    return name, request_id, orjson.dumps(data)
