"""X.509 certificate-chain provisioning: a device whose certificate a profile's CA signed.

A device profile with ``provisionType`` X509_CERTIFICATE_CHAIN carries a CA certificate
(``provisionConfiguration.provisionDeviceSecret``, base64 DER as ThingsBoard stores it;
``provisionDeviceKey`` is its SHA3-256), a ``certificateRegExPattern`` whose group 1 takes
the device name from the client certificate's CN, and ``allowCreateNewDevicesByX509Certificate``
(spec device-api §8.2). When a device presents a certificate no credentials match, the
authenticator asks :meth:`X509ChainProvisioner.provision`: if a profile's CA issued the
certificate, an existing device of that name in the profile gets the certificate as its
credentials, or a new device is created when the profile allows it.

Design limit: Python 3.11's ``ssl`` exposes only the client's leaf certificate, not the
chain it sent, so the profile CA must have issued the leaf directly (ThingsBoard also
accepts a profile certificate anywhere in the presented chain).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import re
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509.oid import NameOID

from industryos.entities.access import Caller
from industryos.entities.audit_service import AuditService
from industryos.entities.credentials import normalize_certificate
from industryos.entities.device_service import DeviceService
from industryos.entities.errors import EntityError
from industryos.entities.ids import NULL_UUID, EntityType
from industryos.entities.models import (
    ActionType,
    Authority,
    CredentialsType,
    Device,
    DeviceCredentials,
    DeviceProfile,
)
from industryos.storage import schema
from industryos.storage.database import Database
from industryos.storage.repositories import Repositories

__all__ = ["X509_CHAIN", "X509ChainProvisioner"]

log = logging.getLogger(__name__)

X509_CHAIN = "X509_CERTIFICATE_CHAIN"
PROVISIONING_USER = "x509-provisioning"


@dataclass(frozen=True, slots=True)
class _ChainProfile:
    profile: DeviceProfile
    ca: x509.Certificate
    name_pattern: re.Pattern[str]
    allow_create: bool


class X509ChainProvisioner:
    """Gives a device the client certificate its profile's CA signed (spec §8.2)."""

    def __init__(
        self, db: Database, repos: Repositories, devices: DeviceService, audit: AuditService
    ) -> None:
        self._db = db
        self._repos = repos
        self._devices = devices
        self._audit = audit
        self._lock = asyncio.Lock()

    async def provision(self, certificate_pem: str) -> bool:
        """True when a device now has this certificate as its credentials."""
        try:
            leaf = x509.load_der_x509_certificate(
                base64.b64decode(normalize_certificate(certificate_pem))
            )
        except (ValueError, binascii.Error):
            log.warning("unreadable client certificate offered for chain provisioning")
            return False
        chain_profile = await self._issuing_profile(leaf)
        if chain_profile is None:
            return False
        name = _device_name(leaf, chain_profile.name_pattern)
        if name is None:
            log.warning("client certificate CN does not match the profile's name pattern")
            return False
        async with self._lock:
            return await self._assign(chain_profile, name, certificate_pem)

    async def _issuing_profile(self, leaf: x509.Certificate) -> _ChainProfile | None:
        table = schema.device_profile
        async with self._db.read() as conn:
            profiles = await self._repos.device_profiles.find_all(
                conn, table.c.provision_type == X509_CHAIN
            )
        for profile in profiles:
            chain_profile = _chain_profile(profile)
            if chain_profile is not None and _issued_by(leaf, chain_profile.ca):
                return chain_profile
        return None

    async def _assign(self, chain_profile: _ChainProfile, name: str, pem: str) -> bool:
        profile = chain_profile.profile
        assert profile.tenant_id is not None
        caller = Caller(NULL_UUID, PROVISIONING_USER, Authority.TENANT_ADMIN, profile.tenant_id)
        credentials = DeviceCredentials(
            credentials_type=CredentialsType.X509_CERTIFICATE, credentials_value=pem
        )
        table = schema.device
        async with self._db.read() as conn:
            existing = await self._repos.devices.find_one(
                conn, table.c.tenant_id == profile.tenant_id, table.c.name == name
            )
        try:
            if existing is not None:
                if existing.device_profile_id != profile.id:
                    log.warning("device %r exists in another profile; not provisioned", name)
                    return False
                await self._devices.update_credentials(
                    caller, credentials.model_copy(update={"device_id": existing.id})
                )
                device = existing
            elif chain_profile.allow_create:
                device = await self._devices.save(
                    caller, Device(name=name, device_profile_id=profile.id), credentials=credentials
                )
            else:
                log.warning("profile %s does not create devices by certificate", profile.id)
                return False
        except EntityError as exc:
            log.warning("X.509 chain provisioning of %r failed: %s", name, exc)
            return False
        await self._audit.record(
            caller,
            ActionType.PROVISION_SUCCESS,
            entity_type=EntityType.DEVICE,
            entity_id=device.id,
            entity_name=device.name,
            customer_id=device.customer_id,
            data={"provisionType": X509_CHAIN, "deviceProfile": profile.name},
        )
        log.info("device %r provisioned by its certificate into profile %s", name, profile.name)
        return True


def _chain_profile(profile: DeviceProfile) -> _ChainProfile | None:
    configuration = (profile.profile_data or {}).get("provisionConfiguration") or {}
    secret = configuration.get("provisionDeviceSecret")
    if not isinstance(secret, str) or not secret:
        return None
    try:
        ca = x509.load_der_x509_certificate(base64.b64decode(normalize_certificate(secret)))
        pattern = re.compile(configuration.get("certificateRegExPattern") or "(.*)")
    except (ValueError, binascii.Error, re.error):
        log.error("device profile %s has an unusable X.509 chain configuration", profile.id)
        return None
    allow = bool(configuration.get("allowCreateNewDevicesByX509Certificate"))
    return _ChainProfile(profile, ca, pattern, allow)


def _issued_by(leaf: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        leaf.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _device_name(leaf: x509.Certificate, pattern: re.Pattern[str]) -> str | None:
    names = leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not names:
        return None
    match = pattern.search(str(names[0].value))
    if match is None:
        return None
    name = (match.group(1) if pattern.groups else match.group(0)).strip()
    return name or None
