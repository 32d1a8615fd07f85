"""TLS listener: generated or configured certificate; client certificates requested, optional."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from industryos.start_refused import StartRefused
from industryos.transport.mqtt.tls import (
    SELF_SIGNED_DIR,
    TlsFilesUnusable,
    ensure_self_signed,
    request_client_certificates,
    self_signed_certificate,
    server_context,
)
from tests.transport.mqtt.conftest import RecordingApp, ServerThread
from tests.transport.mqtt.pahoclient import Paho
from tests.transport.mqtt.rawclient import RawClient


def client_context(ca_file: Path, cert: tuple[Path, Path] | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca_file))
    if cert is not None:
        context.load_cert_chain(*cert)
    return context


def write_pair(directory: Path, name: str) -> tuple[Path, Path]:
    cert_pem, key_pem = self_signed_certificate(name)
    cert_file, key_file = directory / f"{name}.crt", directory / f"{name}.key"
    cert_file.write_bytes(cert_pem)
    key_file.write_bytes(key_pem)
    return cert_file, key_file


@pytest.fixture
def tls_server(make_server: Callable[..., ServerThread]) -> ServerThread:
    return make_server(tls_port=0)


def test_self_signed_certificate_is_generated_once_and_kept(tmp_path: Path) -> None:
    cert_file, key_file = ensure_self_signed(tmp_path / SELF_SIGNED_DIR)
    assert key_file.stat().st_mode & 0o077 == 0
    first = cert_file.read_bytes()
    cert = x509.load_pem_x509_certificate(first)
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert ensure_self_signed(tmp_path / SELF_SIGNED_DIR)[0].read_bytes() == first


def test_client_certificates_are_requested_on_this_python() -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    assert request_client_certificates(context) is True
    assert context.verify_mode == ssl.CERT_OPTIONAL


@pytest.mark.parametrize("version", ["3.1.1", "5"])
def test_tls_connect_without_a_client_certificate(
    tls_server: ServerThread, app: RecordingApp, tmp_path: Path, version: str
) -> None:
    ca_file = tmp_path / SELF_SIGNED_DIR / "server.crt"
    client = Paho(version)
    assert client.connect(tls_server.tls_port, "token-a", tls=client_context(ca_file)) == 0
    client.publish("v1/devices/me/telemetry", b"{}", 1)
    assert app.certificates == [None]
    assert app.topics() == ["v1/devices/me/telemetry"]


@pytest.mark.parametrize("version", ["3.1.1", "5"])
def test_tls_client_certificate_reaches_authenticate(
    tls_server: ServerThread, app: RecordingApp, tmp_path: Path, version: str
) -> None:
    ca_file = tmp_path / SELF_SIGNED_DIR / "server.crt"
    device_cert, device_key = write_pair(tmp_path, "device-1")
    client = Paho(version)
    context = client_context(ca_file, (device_cert, device_key))
    assert client.connect(tls_server.tls_port, None, tls=context) == 0
    [presented] = app.certificates
    assert presented is not None
    expected = x509.load_pem_x509_certificate(device_cert.read_bytes())
    assert presented.der == expected.public_bytes(Encoding.DER)
    assert x509.load_pem_x509_certificate(presented.pem.encode()) == expected
    session = tls_server.session(app.wait(lambda: list(app.sessions))[0])
    assert session.context.startswith("x509:")


def test_configured_certificate_is_served(
    make_server: Callable[..., ServerThread], tmp_path: Path
) -> None:
    cert_file, key_file = write_pair(tmp_path, "localhost")
    server = make_server(tls_port=0, tls_cert_file=cert_file, tls_key_file=key_file)
    client = RawClient(server.tls_port, context=client_context(cert_file))
    assert client.connect().reason_code == 0
    assert isinstance(client.sock, ssl.SSLSocket)
    served = client.sock.getpeercert(binary_form=True)
    assert served == x509.load_pem_x509_certificate(cert_file.read_bytes()).public_bytes(
        Encoding.DER
    )
    assert not (tmp_path / SELF_SIGNED_DIR).exists()


def test_plain_bytes_on_the_tls_port_cost_only_that_connection(
    tls_server: ServerThread, tmp_path: Path
) -> None:
    garbage = RawClient(tls_server.tls_port)
    garbage.send(b"\x10\x0c\x00\x04MQTT\x04\x02\x00\x3c\x00\x00")
    assert garbage.wait_closed() == []
    ca_file = tmp_path / SELF_SIGNED_DIR / "server.crt"
    client = RawClient(tls_server.tls_port, context=client_context(ca_file))
    assert client.connect().reason_code == 0


def test_configured_files_that_cannot_be_loaded_refuse_the_start(tmp_path: Path) -> None:
    """Missing, not PEM, or a key of another pair: one line naming both files."""
    cert_pem, _ = self_signed_certificate("a")
    _, other_key_pem = self_signed_certificate("b")
    (tmp_path / "cert.pem").write_bytes(cert_pem)
    (tmp_path / "other.key").write_bytes(other_key_pem)
    (tmp_path / "garbage.pem").write_text("not a certificate")
    cases = [
        ("missing.pem", "missing.key", "No such file or directory"),
        ("garbage.pem", "garbage.pem", "PEM"),
        ("cert.pem", "other.key", "KEY_VALUES_MISMATCH"),
    ]
    for cert, key, reason in cases:
        cert_file, key_file = tmp_path / cert, tmp_path / key
        with pytest.raises(TlsFilesUnusable) as refused:
            server_context(cert_file, key_file, tmp_path)
        assert isinstance(refused.value, StartRefused)
        assert str(refused.value).startswith(
            f"cannot load the MQTT TLS certificate {cert_file} with the key {key_file}: "
        )
        assert reason in str(refused.value)
