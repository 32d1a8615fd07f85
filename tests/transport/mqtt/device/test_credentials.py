"""Device credentials over real MQTT connections (device-api §10 items 3, 4 and 5).

MQTT basic credentials (clientId + userName + password) and X.509 client certificates over
the node's TLS listener, with paho as the device.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import orjson
import pytest

from industryos.entities.models import CredentialsType, DeviceCredentials
from industryos.transport.mqtt.tls import SELF_SIGNED_DIR, self_signed_certificate
from tests.transport.mqtt.device.livenode import LiveNode
from tests.transport.mqtt.pahoclient import Paho

VERSIONS = ["3.1.1", "5"]

# paho reports an MQTT 3.1.1 CONNACK return code as its MQTT 5 equivalent: the server's
# return code 5 ("not authorized", what ThingsBoard sends for bad credentials) reads 0x87.
V3_NOT_AUTHORIZED = 0x87


def _basic(client_id: str | None, user: str | None, password: str | None) -> DeviceCredentials:
    value = orjson.dumps({"clientId": client_id, "userName": user, "password": password})
    return DeviceCredentials(
        credentials_type=CredentialsType.MQTT_BASIC, credentials_value=value.decode()
    )


def _connect(
    live: LiveNode,
    version: str,
    client_id: str,
    user: str | None,
    pw: str | None,
    tls: ssl.SSLContext | None = None,
) -> int:
    client = Paho(version, client_id=client_id)
    try:
        if user is not None:
            client.client.username_pw_set(user, pw)
        if tls is not None:
            client.client.tls_set_context(tls)
        port = live.tls_port if tls is not None else live.mqtt_port
        client.client.connect("127.0.0.1", port)
        client.client.loop_start()
        return int(client.wait(lambda: client.connack).value)
    finally:
        client.close()


@pytest.mark.parametrize("version", VERSIONS)
def test_mqtt_basic_client_user_password(live: LiveNode, version: str) -> None:
    suffix = version.replace(".", "")
    live.create_device(f"basic-{suffix}", credentials=_basic(f"cid-{suffix}", f"u-{suffix}", "pw"))
    assert _connect(live, version, f"cid-{suffix}", f"u-{suffix}", "pw") == 0
    refused = _connect(live, version, f"cid-{suffix}", f"u-{suffix}", "wrong")
    assert refused == (0x86 if version == "5" else V3_NOT_AUTHORIZED)


@pytest.mark.parametrize("version", VERSIONS)
def test_access_token_ignores_password_and_client_id(live: LiveNode, version: str) -> None:
    token = f"TOKEN-PW-{version.replace('.', '')}"
    live.create_device(f"tok-{token}", token=token)
    assert _connect(live, version, "any-client-id", token, "any-password") == 0


def _device_tls_context(live: LiveNode, cert: tuple[Path, Path] | None) -> ssl.SSLContext:
    server_cert = live.node.settings.data_dir / SELF_SIGNED_DIR / "server.crt"
    context = ssl.create_default_context(cafile=str(server_cert))
    context.check_hostname = False
    if cert is not None:
        context.load_cert_chain(*cert)
    return context


def _write_pair(directory: Path, name: str) -> tuple[Path, Path, str]:
    cert_pem, key_pem = self_signed_certificate(name)
    cert_file, key_file = directory / f"{name}.crt", directory / f"{name}.key"
    cert_file.write_bytes(cert_pem)
    key_file.write_bytes(key_pem)
    return cert_file, key_file, cert_pem.decode()


@pytest.mark.parametrize("version", VERSIONS)
def test_x509_certificate_authenticates_without_username(
    live: LiveNode, version: str, tmp_path: Path
) -> None:
    cert_file, key_file, pem = _write_pair(tmp_path, f"device-{version}")
    live.create_device(
        f"x509-{version}",
        credentials=DeviceCredentials(
            credentials_type=CredentialsType.X509_CERTIFICATE, credentials_value=pem
        ),
    )
    context = _device_tls_context(live, (cert_file, key_file))
    assert _connect(live, version, "", None, None, tls=context) == 0

    unknown_cert, unknown_key, _ = _write_pair(tmp_path, f"stranger-{version}")
    stranger = _device_tls_context(live, (unknown_cert, unknown_key))
    refused = _connect(live, version, "", None, None, tls=stranger)
    assert refused == 0x87  # v5 0x87; v3 return code 5, read by paho as 0x87
