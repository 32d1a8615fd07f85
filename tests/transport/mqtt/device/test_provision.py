"""Provision-only MQTT sessions over a real node, byte-exact (spec §2.12, checklist 23 to 26)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from industryos.entities.credentials import x509_credentials_id
from industryos.telemetry.kv import AttributeScope
from industryos.transport.mqtt.packets import (
    Disconnect,
    Puback,
    Publish,
    Suback,
    Subscribe,
    Subscription,
)
from industryos.transport.mqtt.reason_codes import ReasonCode
from tests.devices.provision_profiles import find_device, provision_profile, request
from tests.support.certificates import self_signed_pem
from tests.transport.mqtt.device.livenode import LiveNode
from tests.transport.mqtt.rawclient import RawClient


def provision_client(live: LiveNode, *, v5: bool = False, by_client_id: bool = False) -> RawClient:
    """Connected as ``provision`` (username like the SDK, or clientId): CONNACK 0x00 unchecked."""
    client = RawClient(live.mqtt_port, v5=v5)
    if by_client_id:
        connack = client.connect(username="", client_id="provision")
    else:
        connack = client.connect(username="provision", client_id="")
    assert connack.reason_code == 0
    return client


def ask(client: RawClient, body: dict[str, Any], *, qos: int = 0) -> dict[str, Any]:
    """Subscribe, publish one request, return the decoded response."""
    client.send(Subscribe(1, [Subscription("/provision/response", qos=qos)]))
    suback = client.next_packet()
    assert isinstance(suback, Suback) and suback.reason_codes == [qos]
    client.send(
        Publish("/provision/request", orjson.dumps(body), qos=qos, packet_id=2 if qos else 0)
    )
    if qos:
        ack = client.next_packet()
        assert isinstance(ack, Puback) and ack.reason_code == 0
    response = client.next_packet()
    assert isinstance(response, Publish) and response.topic == "/provision/response"
    assert response.qos == qos
    if response.qos:
        client.send(Puback(response.packet_id))
    answer: dict[str, Any] = orjson.loads(response.payload)
    return answer


def answer_id(answer: dict[str, Any]) -> str:
    """The X.509 lookup id of the certificate a response returned."""
    return x509_credentials_id(answer["credentialsValue"])


def token_connects(live: LiveNode, token: str) -> bool:
    client = RawClient(live.mqtt_port)
    return client.connect(username=token, client_id="").reason_code == 0


def test_allow_create_returns_a_token_that_authenticates(live: LiveNode) -> None:
    """Checklist 23: MQTT 3.1.1, QoS 0, SUCCESS; the device is created in the profile."""
    profile = provision_profile(live)
    name = f"raw-{uuid.uuid4().hex[:8]}"
    answer = ask(provision_client(live), request(profile, deviceName=f"  {name} "))
    assert answer["status"] == "SUCCESS" and answer["credentialsType"] == "ACCESS_TOKEN"
    assert token_connects(live, answer["credentialsValue"])
    device = find_device(live, name)  # trimmed
    assert device.device_profile_id == profile.id and not device.is_gateway


def test_client_id_provision_with_qos1_and_device_token(live: LiveNode) -> None:
    """clientId ``provision`` also opens a provision session; a device-chosen token is kept."""
    profile = provision_profile(live)
    token = f"chosen-{uuid.uuid4().hex[:8]}"
    client = provision_client(live, v5=True, by_client_id=True)
    answer = ask(client, request(profile, token=token, credentialsType="ACCESS_TOKEN"), qos=1)
    assert answer == {
        "credentialsType": "ACCESS_TOKEN",
        "credentialsValue": token,
        "status": "SUCCESS",
    }
    assert token_connects(live, token)


def test_no_name_gets_a_random_one(live: LiveNode) -> None:
    profile = provision_profile(live)
    answer = ask(provision_client(live), request(profile))
    assert answer["status"] == "SUCCESS"
    assert live.node.devices is not None
    auth = live.node.devices.auth
    identity = live.run(auth.by_access_token(answer["credentialsValue"]))
    assert identity is not None and len(identity.device_name) == 20
    assert identity.device_name.isalnum()


def test_wrong_secret_unknown_key_and_disabled_are_not_found(live: LiveNode) -> None:
    """Checklist 24: NOT_FOUND with ThingsBoard's message."""
    not_found = {"errorMsg": "Provision data was not found!", "status": "NOT_FOUND"}
    profile = provision_profile(live)
    wrong = {**request(profile, deviceName="x"), "provisionDeviceSecret": "nope"}
    assert ask(provision_client(live), wrong) == not_found
    unknown = {**request(profile, deviceName="x"), "provisionDeviceKey": "no-such-key"}
    assert ask(provision_client(live), unknown) == not_found
    disabled = provision_profile(live, "DISABLED")
    assert ask(provision_client(live), request(disabled, deviceName="y")) == not_found


def test_existing_name_under_allow_create_fails(live: LiveNode) -> None:
    """Checklist 24: a name already taken is FAILURE; so is a blank name."""
    profile = provision_profile(live)
    name = f"taken-{uuid.uuid4().hex[:8]}"
    live.create_device(name)
    failure = {"errorMsg": "Failed to provision device!", "status": "FAILURE"}
    assert ask(provision_client(live), request(profile, deviceName=name)) == failure
    blank = request(profile, deviceName="   ")
    assert ask(provision_client(live), blank) == failure


def test_check_pre_provisioned_twice(live: LiveNode) -> None:
    """Checklist 24: the existing credentials once, FAILURE the second time."""
    profile = provision_profile(live, "CHECK_PRE_PROVISIONED_DEVICES")
    name = f"pre-{uuid.uuid4().hex[:8]}"
    token = f"pre-{uuid.uuid4().hex[:8]}"
    device = live.create_device(name, token=token, profile=profile)
    first = ask(provision_client(live), request(profile, deviceName=name))
    assert first == {
        "credentialsType": "ACCESS_TOKEN",
        "credentialsValue": token,
        "status": "SUCCESS",
    }
    assert live.attributes(device, AttributeScope.SERVER_SCOPE)["provisionState"] == "provisioned"
    second = ask(provision_client(live), request(profile, deviceName=name))
    assert second["status"] == "FAILURE"
    # a device of another profile is not pre-provisioned for this one
    other = f"other-{uuid.uuid4().hex[:8]}"
    live.create_device(other)
    assert ask(provision_client(live), request(profile, deviceName=other))["status"] == "FAILURE"


def test_mqtt_basic_is_echoed_and_gateway_flag_kept(live: LiveNode) -> None:
    """Checklist 25: the credentialsValue object; ``gateway: true`` makes a gateway."""
    profile = provision_profile(live)
    tag = uuid.uuid4().hex[:8]
    name = f"gw-{tag}"
    basic = {"clientId": f"c-{tag}", "username": f"u-{tag}", "password": "p"}
    body = request(profile, deviceName=name, credentialsType="MQTT_BASIC", gateway=True, **basic)
    answer = ask(provision_client(live), body)
    assert answer == {
        "credentialsType": "MQTT_BASIC",
        "credentialsValue": {"clientId": f"c-{tag}", "userName": f"u-{tag}", "password": "p"},
        "status": "SUCCESS",
    }
    assert find_device(live, name).is_gateway
    without_password = RawClient(live.mqtt_port)
    assert without_password.connect(username=f"u-{tag}", client_id=f"c-{tag}").reason_code != 0
    assert live.node.devices is not None
    auth = live.node.devices.auth
    outcome = live.run(auth.mqtt_connect(f"c-{tag}", f"u-{tag}", "p"))
    assert outcome.identity is not None and outcome.identity.is_gateway


def test_x509_credentials_are_stored(live: LiveNode) -> None:
    """``credentialsType: X509_CERTIFICATE`` with the PEM as ``hash``: stored, returned."""
    pem = self_signed_pem("provisioned-x509")
    profile = provision_profile(live)
    answer = ask(
        provision_client(live),
        request(
            profile,
            deviceName=f"x509-{uuid.uuid4().hex[:6]}",
            credentialsType="X509_CERTIFICATE",
            hash=pem,
        ),
    )
    assert answer["status"] == "SUCCESS" and answer["credentialsType"] == "X509_CERTIFICATE"
    assert live.node.devices is not None
    identity = live.run(live.node.devices.auth.by_certificate(pem))
    assert identity is not None and identity.credentials_id == answer_id(answer)


@pytest.mark.parametrize("v5", [True, False])
def test_other_topic_is_refused_and_closed(live: LiveNode, v5: bool) -> None:
    """Checklist 26: PUBACK 0x90 then DISCONNECT 0x90 (v3: plain PUBACK, then closed)."""
    client = provision_client(live, v5=v5)
    client.send(Publish("v1/devices/me/telemetry", b'{"a":1}', qos=1, packet_id=5))
    packets = client.wait_closed()
    ack = packets[0]
    assert isinstance(ack, Puback) and ack.packet_id == 5
    if v5:
        assert ack.reason_code == ReasonCode.TOPIC_NAME_INVALID
        assert any(isinstance(p, Disconnect) and p.reason_code == 0x90 for p in packets)


def test_other_subscription_is_refused(live: LiveNode) -> None:
    client = provision_client(live, v5=True)
    client.send(Subscribe(1, [Subscription("v1/devices/me/rpc/request/+", qos=1)]))
    suback = client.next_packet()
    assert isinstance(suback, Suback) and suback.reason_codes == [ReasonCode.TOPIC_FILTER_INVALID]


def test_request_without_secret_is_0x83_and_closed(live: LiveNode) -> None:
    client = provision_client(live, v5=True)
    client.send(Publish("/provision/request", b'{"provisionDeviceKey":"k"}', qos=1, packet_id=3))
    packets = client.wait_closed()
    assert isinstance(packets[0], Puback) and packets[0].reason_code == 0x83


@pytest.fixture
def short_provision_sessions(live: LiveNode) -> Iterator[None]:
    """Provision sessions end after 0.3 s instead of 60 s."""
    assert live.node.devices is not None
    app = live.node.devices.mqtt_provisioning
    app.session_timeout_s = 0.3
    yield
    app.session_timeout_s = 60.0


def test_provision_session_is_closed_after_its_timeout(
    live: LiveNode, short_provision_sessions: None
) -> None:
    """The connection does not outlive the provisioning window (60 s by default)."""
    client = provision_client(live, v5=True)
    packets = client.wait_closed(timeout=5)
    assert any(isinstance(p, Disconnect) and p.reason_code == 0xA0 for p in packets)
