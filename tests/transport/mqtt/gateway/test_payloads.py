"""Gateway body parsing and answers (spec §5.2, §5.3, §9) and the error → ack mapping."""

from __future__ import annotations

import orjson
import pytest

from industryos.transport.device_api import AttributeKeys
from industryos.transport.mqtt.gateway import payloads
from industryos.transport.mqtt.gateway.errors import (
    GatewayError,
    GatewayPayloadError,
    GatewayRequestError,
)
from industryos.transport.mqtt.reason_codes import ReasonCode


def test_parse_refuses_non_json_and_non_objects() -> None:
    with pytest.raises(GatewayPayloadError):
        payloads.parse(b"{nope")
    with pytest.raises(GatewayRequestError):
        payloads.parse(b"[1]")
    assert payloads.parse(b'{"a":1}') == {"a": 1}


def test_device_parts_skip_wrong_kinds_and_refuse_empty_names() -> None:
    parts = payloads.device_parts({"a": [1], "b": {"x": 1}}, lambda p: isinstance(p, list))
    assert parts == {"a": [1]}
    with pytest.raises(GatewayRequestError):
        payloads.device_parts({"b": {"x": 1}}, lambda p: isinstance(p, list))
    with pytest.raises(GatewayRequestError):
        payloads.device_parts({" ": [1]}, lambda p: True)
    with pytest.raises(GatewayPayloadError):
        payloads.device_parts({"x" * 256: [1]}, lambda p: True)


def test_telemetry_part_drops_metadata_only() -> None:
    body = payloads.telemetry_part([{"ts": 1, "values": {"a": 1}, "metadata": {"c": 1}}, 5])
    assert orjson.loads(body) == [{"ts": 1, "values": {"a": 1}}, 5]


@pytest.mark.parametrize(
    ("body", "keys", "asked"),
    [
        ({"keys": ["a"], "client": True}, AttributeKeys(client=["a"]), 1),
        ({"key": "a", "client": False}, AttributeKeys(shared=["a"]), 1),
        ({"keys": ["a", "b"]}, AttributeKeys(shared=["a", "b"]), 2),
        ({"keys": []}, AttributeKeys(), 0),
        ({"client": ["a"], "shared": ["b"]}, AttributeKeys(["a"], ["b"]), 2),
    ],
)
def test_attribute_request_forms(body: dict[str, object], keys: AttributeKeys, asked: int) -> None:
    request = payloads.attribute_request({"id": 3, "device": "D", **body})
    assert (request.request_id, request.device, request.keys, request.asked) == (
        3,
        "D",
        keys,
        asked,
    )


@pytest.mark.parametrize(
    "body",
    [{"device": "D", "keys": []}, {"id": "x", "device": "D", "keys": []}, {"id": 1, "device": "D"}],
)
def test_attribute_request_needs_id_and_keys(body: dict[str, object]) -> None:
    with pytest.raises(GatewayPayloadError):
        payloads.attribute_request(body)


def test_attribute_response_value_or_values() -> None:
    one = payloads.attribute_request({"id": 1, "device": "D", "keys": ["k"]})
    two = payloads.attribute_request({"id": 2, "device": "D", "keys": ["k", "j"]})
    answer = b'{"shared":{"k":1}}'
    assert orjson.loads(payloads.attribute_response(one, answer)) == {
        "id": 1,
        "device": "D",
        "value": 1,
    }
    assert orjson.loads(payloads.attribute_response(two, answer)) == {
        "id": 2,
        "device": "D",
        "values": {"k": 1},
    }
    assert orjson.loads(payloads.attribute_response(two, b"{}")) == {"id": 2, "device": "D"}


@pytest.mark.parametrize(
    ("data", "reply"),
    [({"a": 1}, b'{"a":1}'), ('{"a": 1}', b'{"a": 1}'), ("text", b'"text"'), (None, b"null")],
)
def test_rpc_reply_data_forms(data: object, reply: bytes) -> None:
    assert payloads.rpc_reply_body({"device": "D", "id": 7, "data": data}) == ("D", 7, reply)


def test_errors_carry_their_answer() -> None:
    bad = GatewayPayloadError("x")
    assert (bad.result(True).ack, bad.result(True).disconnect) == (0x99, None)
    assert (bad.result(False).ack, bad.result(False).disconnect) == (None, 0x99)
    refused = GatewayRequestError("x").result(True)
    assert (refused.ack, refused.disconnect) == (0x83, 0x83)
    failed = GatewayError("x").result(False)
    assert (failed.ack, failed.disconnect) == (ReasonCode.UNSPECIFIED_ERROR,) * 2
