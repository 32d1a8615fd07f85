"""X.509 certificate-chain authentication and provisioning over MQTT/TLS (spec §8.2, §2.2).

A device profile holds a CA certificate; a device presenting a certificate that CA signed
is created on first connect (name from the CN by the profile's pattern) when the profile
allows it, or gets the certificate as its credentials when it already exists in the
profile. A certificate signed by another CA is refused.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import ssl
import uuid
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from industryos.entities.models import DeviceProfile
from industryos.transport.mqtt.tls import SELF_SIGNED_DIR
from tests.transport.mqtt.device.livenode import LiveNode
from tests.transport.mqtt.pahoclient import Paho


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _certificate(
    subject: str, key: Any, issuer: str, issuer_key: Any, ca: bool
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )


class Ca:
    """A CA that issues device certificates into files."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.cert = _certificate(name, self.key, name, self.key, ca=True)

    @property
    def body(self) -> str:
        """The CA as ThingsBoard stores it in a profile: base64 DER, no PEM armour."""
        return base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode()

    def issue(self, directory: Path, cn: str) -> tuple[Path, Path]:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _certificate(cn, key, self.name, self.key, ca=False)
        stem = directory / uuid.uuid4().hex
        cert_file, key_file = stem.with_suffix(".crt"), stem.with_suffix(".key")
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return cert_file, key_file


def _chain_profile(live: LiveNode, ca: Ca, allow_create: bool) -> DeviceProfile:
    assert live.admin is not None
    profile = DeviceProfile(
        name=f"chain-{uuid.uuid4().hex[:6]}",
        provision_type="X509_CERTIFICATE_CHAIN",
        provision_device_key=hashlib.sha3_256(ca.body.encode()).hexdigest(),
    )
    profile.profile_data["provisionConfiguration"] = {
        "type": "X509_CERTIFICATE_CHAIN",
        "provisionDeviceSecret": ca.body,
        "certificateRegExPattern": "([^@]+)",
        "allowCreateNewDevicesByX509Certificate": allow_create,
    }
    saved: DeviceProfile = live.run(live.core.device_profiles.save(live.admin, profile))
    return saved


def _connect(live: LiveNode, cert: tuple[Path, Path]) -> int:
    server_cert = live.node.settings.data_dir / SELF_SIGNED_DIR / "server.crt"
    context = ssl.create_default_context(cafile=str(server_cert))
    context.check_hostname = False
    context.load_cert_chain(*cert)
    client = Paho("5")
    try:
        client.client.tls_set_context(context)
        client.client.connect("127.0.0.1", live.tls_port)
        client.client.loop_start()
        return int(client.wait(lambda: client.connack).value)
    finally:
        client.close()


def _device(live: LiveNode, name: str) -> Any:
    assert live.admin is not None
    try:
        return live.run(live.core.devices.find_by_name(live.admin, name))
    except Exception:
        return None


def test_new_device_is_created_by_its_certificate(live: LiveNode, tmp_path: Path) -> None:
    ca = Ca(f"Plant CA {uuid.uuid4().hex[:6]}")
    profile = _chain_profile(live, ca, allow_create=True)
    name = f"sensor-{uuid.uuid4().hex[:6]}"
    cert = ca.issue(tmp_path, f"{name}@plant")
    assert _device(live, name) is None
    assert _connect(live, cert) == 0
    device = _device(live, name)
    assert device is not None
    assert device.device_profile_id == profile.id
    assert _connect(live, cert) == 0  # now a known certificate


def test_existing_device_gets_the_certificate(live: LiveNode, tmp_path: Path) -> None:
    ca = Ca(f"Line CA {uuid.uuid4().hex[:6]}")
    profile = _chain_profile(live, ca, allow_create=False)
    name = f"meter-{uuid.uuid4().hex[:6]}"
    assert _connect(live, ca.issue(tmp_path, f"{name}@line")) == 0x87  # no device, no creating
    live.create_device(name, profile=profile)
    assert _connect(live, ca.issue(tmp_path, f"{name}@line")) == 0


def test_certificate_of_another_ca_is_refused(live: LiveNode, tmp_path: Path) -> None:
    _chain_profile(live, Ca(f"Trusted {uuid.uuid4().hex[:6]}"), allow_create=True)
    stranger = Ca(f"Stranger {uuid.uuid4().hex[:6]}")
    name = f"intruder-{uuid.uuid4().hex[:6]}"
    assert _connect(live, stranger.issue(tmp_path, name)) == 0x87
    assert _device(live, name) is None
