"""TLS for the MQTT listener: the server context, a generated self-signed certificate, and
client certificates that are requested but neither required nor verified here.

X.509 device authentication (spec §2.2) looks the client's leaf certificate up by hash;
device certificates are usually self-signed, so a TLS-level chain check would refuse
exactly the clients we must accept. Python's ``ssl`` offers no "request, but accept any"
mode: CERT_OPTIONAL fails the handshake on an unverifiable certificate. We therefore
install an OpenSSL verify callback that accepts every certificate, through ``ctypes`` on
the same libssl the ``_ssl`` module uses; CPython keeps a callback it finds when
``verify_mode`` is set. The certificate then reaches ``authenticate`` unverified, and
validity and trust are the application's decision.

Debt: this relies on the ``SSL_CTX *`` being the first field of CPython's SSLContext
object (true since 3.x). :func:`request_client_certificates` checks it by reading the
verify mode through the pointer before installing anything; when the check fails it logs
an ERROR and leaves client certificates off (TLS still works, X.509 auth does not). Only
the leaf certificate is exposed: 3.11 cannot return the client's unverified chain.
"""

from __future__ import annotations

import ctypes
import datetime
import ipaddress
import logging
import socket
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from industryos.start_refused import StartRefused

log = logging.getLogger(__name__)

SELF_SIGNED_DIR = "mqtt-tls"
_SSL_VERIFY_PEER = 1
_VerifyCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_void_p)


class TlsFilesUnusable(StartRefused):
    """The configured certificate or key is missing, unreadable or not a matching pair."""


def _accept_any(preverify_ok: int, store_ctx: int | None) -> int:
    return 1


_ACCEPT_ANY = _VerifyCallback(_accept_any)
"""Kept at module level: OpenSSL holds a raw pointer to it for the process lifetime."""


def server_context(cert_file: Path | None, key_file: Path | None, data_dir: Path) -> ssl.SSLContext:
    """A TLS 1.2+ server context from the configured files, or a generated self-signed pair."""
    if cert_file is None or key_file is None:
        cert_file, key_file = ensure_self_signed(data_dir / SELF_SIGNED_DIR)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert_file, key_file)
    except OSError as exc:  # (ssl.SSLError too: not PEM, a key that does not match)
        raise TlsFilesUnusable(
            f"cannot load the MQTT TLS certificate {cert_file} with the key {key_file}: {exc}"
        ) from exc
    request_client_certificates(context)
    return context


def ensure_self_signed(directory: Path) -> tuple[Path, Path]:
    """The certificate and key in ``directory``, generated on first use and kept."""
    cert_file, key_file = directory / "server.crt", directory / "server.key"
    if cert_file.is_file() and key_file.is_file():
        return cert_file, key_file
    directory.mkdir(parents=True, exist_ok=True)
    cert_pem, key_pem = self_signed_certificate(socket.gethostname())
    key_file.touch(mode=0o600)
    key_file.chmod(0o600)
    key_file.write_bytes(key_pem)
    cert_file.write_bytes(cert_pem)
    log.info("generated a self-signed MQTT TLS certificate in %s", directory)
    return cert_file, key_file


def self_signed_certificate(hostname: str, days: int = 3650) -> tuple[bytes, bytes]:
    """A PEM certificate and PEM key for ``hostname``, localhost and the loopback addresses."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.datetime.now(datetime.UTC)
    alt_names: list[x509.GeneralName] = [
        x509.DNSName(hostname),
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def request_client_certificates(context: ssl.SSLContext) -> bool:
    """Ask TLS clients for a certificate and accept whichever they send, or none."""
    try:
        _install_accept_any(context)
    except (OSError, AttributeError, RuntimeError) as exc:
        log.error("cannot request TLS client certificates, X.509 auth is off: %s", exc)
        context.verify_mode = ssl.CERT_NONE
        return False
    return True


def _install_accept_any(context: ssl.SSLContext) -> None:
    import _ssl

    lib = ctypes.CDLL(getattr(_ssl, "__file__", None))
    get_mode = lib.SSL_CTX_get_verify_mode
    get_mode.argtypes, get_mode.restype = [ctypes.c_void_p], ctypes.c_int
    set_verify = lib.SSL_CTX_set_verify
    set_verify.argtypes, set_verify.restype = [ctypes.c_void_p, ctypes.c_int, _VerifyCallback], None
    pointer = ctypes.c_void_p.from_address(id(context) + object.__basicsize__).value
    if not pointer:
        raise RuntimeError("no SSL_CTX pointer in the SSLContext object")
    for mode, expected in ((ssl.CERT_OPTIONAL, _SSL_VERIFY_PEER), (ssl.CERT_NONE, 0)):
        context.verify_mode = mode
        if get_mode(pointer) != expected:
            raise RuntimeError("SSLContext layout is not the expected one")
    set_verify(pointer, 0, _ACCEPT_ANY)
    context.verify_mode = ssl.CERT_OPTIONAL
