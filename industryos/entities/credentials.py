"""Device credentials rules: generated tokens and the ids MQTT basic and X.509 are found by.

The derivations are the wire contract's (spec platform-api §2.1, device-api §1.7), so the
transports can compute the same lookup id from what a device presents.
"""

from __future__ import annotations

import hashlib
import secrets
import string

import orjson

from industryos.entities.errors import InvalidArgument
from industryos.entities.models import CredentialsType, DeviceCredentials

TOKEN_ALPHABET = string.ascii_letters + string.digits
TOKEN_LENGTH = 20


def generate_access_token() -> str:
    """20 random alphanumerics, as ThingsBoard generates."""
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))


def sha3_hex(text: str) -> str:
    """SHA3-256 hex digest of ``text``."""
    return hashlib.sha3_256(text.encode()).hexdigest()


def mqtt_basic_credentials_id(client_id: str | None, user_name: str | None) -> str:
    """Lookup id of MQTT basic credentials: user name, SHA3(clientId) or SHA3(clientId|userName)."""
    if client_id and user_name:
        return sha3_hex(f"{client_id}|{user_name}")
    if user_name:
        return user_name
    if client_id:
        return sha3_hex(client_id)
    raise InvalidArgument("Both mqtt client id and user name are empty!")


def x509_credentials_id(certificate: str) -> str:
    """Lookup id of an X.509 certificate: SHA3-256 of the base64 body without headers."""
    return sha3_hex(normalize_certificate(certificate))


def normalize_certificate(certificate: str) -> str:
    """The certificate text without PEM armour, whitespace or newlines."""
    lines = [
        line.strip()
        for line in certificate.strip().splitlines()
        if line.strip() and not line.startswith("-----")
    ]
    return "".join(lines)


def normalize(credentials: DeviceCredentials) -> DeviceCredentials:
    """Validate credentials and derive ``credentialsId`` as the contract defines it."""
    kind = credentials.credentials_type
    if kind is CredentialsType.ACCESS_TOKEN:
        token = credentials.credentials_id or generate_access_token()
        if len(token) > 255 or any(c.isspace() for c in token):
            raise InvalidArgument("Incorrect access token length or characters!")
        return credentials.model_copy(update={"credentials_id": token, "credentials_value": None})
    if kind is CredentialsType.MQTT_BASIC:
        return credentials.model_copy(update=_mqtt_basic(credentials.credentials_value))
    if kind is CredentialsType.X509_CERTIFICATE:
        if not credentials.credentials_value:
            raise InvalidArgument("Device credentials value should be specified!")
        body = normalize_certificate(credentials.credentials_value)
        return credentials.model_copy(
            update={"credentials_id": sha3_hex(body), "credentials_value": body}
        )
    if not credentials.credentials_id:
        raise InvalidArgument("Device credentials id should be specified!")
    return credentials


def _mqtt_basic(value: str | None) -> dict[str, str]:
    if not value:
        raise InvalidArgument("Device credentials value should be specified!")
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError:
        raise InvalidArgument("Invalid MQTT basic credentials JSON!") from None
    if not isinstance(parsed, dict):
        raise InvalidArgument("Invalid MQTT basic credentials JSON!")
    client_id = parsed.get("clientId") or None
    user_name = parsed.get("userName") or None
    password = parsed.get("password") or None
    if password and not user_name:
        raise InvalidArgument("Password is set but user name is empty!")
    credentials_id = mqtt_basic_credentials_id(client_id, user_name)
    canonical = orjson.dumps({"clientId": client_id, "userName": user_name, "password": password})
    return {"credentials_id": credentials_id, "credentials_value": canonical.decode()}
