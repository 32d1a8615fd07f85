"""Device credentials rules: generated tokens and the lookup ids of MQTT basic and X.509."""

from __future__ import annotations

import hashlib

import orjson
import pytest

from industryos.entities.credentials import (
    TOKEN_LENGTH,
    generate_access_token,
    mqtt_basic_credentials_id,
    normalize,
)
from industryos.entities.errors import InvalidArgument
from industryos.entities.models import CredentialsType, DeviceCredentials


def sha3(text: str) -> str:
    return hashlib.sha3_256(text.encode()).hexdigest()


def test_generated_tokens_are_20_random_alphanumerics() -> None:
    tokens = {generate_access_token() for _ in range(50)}
    assert len(tokens) == 50
    assert all(len(t) == TOKEN_LENGTH == 20 and t.isalnum() and t.isascii() for t in tokens)


@pytest.mark.parametrize(
    ("client_id", "user_name", "expected"),
    [
        ("c", "u", sha3("c|u")),
        (None, "u", "u"),
        ("c", None, sha3("c")),
        ("c", "", sha3("c")),
    ],
)
def test_mqtt_basic_lookup_id(client_id: str | None, user_name: str | None, expected: str) -> None:
    assert mqtt_basic_credentials_id(client_id, user_name) == expected


def test_mqtt_basic_needs_client_id_or_user_name() -> None:
    with pytest.raises(InvalidArgument):
        mqtt_basic_credentials_id(None, None)
    with pytest.raises(InvalidArgument):
        mqtt_basic_credentials_id("", "")


def mqtt(value: object) -> DeviceCredentials:
    return DeviceCredentials(
        credentials_type=CredentialsType.MQTT_BASIC, credentials_value=orjson.dumps(value).decode()
    )


def test_normalize_mqtt_basic_canonicalises_value() -> None:
    creds = normalize(mqtt({"clientId": "c", "userName": "u", "password": "p", "extra": 1}))
    assert creds.credentials_id == sha3("c|u")
    assert orjson.loads(creds.credentials_value or "") == {
        "clientId": "c",
        "userName": "u",
        "password": "p",
    }


@pytest.mark.parametrize(
    "value", [{"password": "p"}, {"clientId": "c", "password": "p"}, {}, [], "text"]
)
def test_normalize_refuses_bad_mqtt_basic(value: object) -> None:
    with pytest.raises(InvalidArgument):
        normalize(mqtt(value))


def test_normalize_refuses_unparsable_or_missing_mqtt_value() -> None:
    for raw in ("{not json", None, ""):
        with pytest.raises(InvalidArgument):
            normalize(
                DeviceCredentials(
                    credentials_type=CredentialsType.MQTT_BASIC, credentials_value=raw
                )
            )


def test_normalize_x509_hashes_the_body_without_armour() -> None:
    body = "MIIB" + "Q" * 60
    pem = f"-----BEGIN CERTIFICATE-----\r\n{body[:32]}\r\n  {body[32:]}\n-----END CERTIFICATE-----"
    creds = normalize(
        DeviceCredentials(credentials_type=CredentialsType.X509_CERTIFICATE, credentials_value=pem)
    )
    assert creds.credentials_value == body
    assert creds.credentials_id == sha3(body)


def test_normalize_access_token() -> None:
    given = normalize(DeviceCredentials(credentials_id="abc", credentials_value="dropped"))
    assert given.credentials_id == "abc"
    assert given.credentials_value is None
    generated = normalize(DeviceCredentials())
    assert generated.credentials_id is not None
    assert len(generated.credentials_id) == 20
    with pytest.raises(InvalidArgument):
        normalize(DeviceCredentials(credentials_id="has space"))
