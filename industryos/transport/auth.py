"""Device authentication for every transport, with a credentials cache.

The decision rules are the wire contract's (spec device-api §2.2, §1.7): access tokens,
MQTT basic credentials (clientId / userName / password) and X.509 certificates, each found
by its *credentials id*. Found identities are cached by credentials id; the device service
tells the cache when credentials change or a device is deleted, so a revoked token stops
working at once (a read under way at that moment is not kept). Unknown ids are not cached:
a typo'd token costs one indexed query. Cache misses of one loop turn are read together
(``batch_loads.py``): a fleet reconnecting after a restart costs two statements per few
hundred devices instead of two per device. An entry
keeps only what a later check reads (type, identity, MQTT basic's stored value), not the
credentials model: at 100,000 devices a pydantic model each is over 100 MB.

The outcome of an MQTT CONNECT is an :class:`AuthOutcome` that carries the MQTT 5 reason
code the contract prescribes for each failure, so the MQTT adapter needs no rules of its own.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import NamedTuple, Protocol

import orjson

from industryos.batch_loads import BatchLoads
from industryos.entities.credentials import (
    mqtt_basic_credentials_id,
    normalize_certificate,
    sha3_hex,
)
from industryos.entities.ids import EntityType
from industryos.entities.models import CredentialsType, Device, DeviceCredentials
from industryos.entities.passwords import verify_password_async
from industryos.msg import EntityRef

log = logging.getLogger(__name__)


class CredentialsLookup(Protocol):
    """What authentication needs from the device service."""

    async def find_by_credentials(
        self, credentials_ids: Sequence[str]
    ) -> dict[str, tuple[DeviceCredentials, Device]]:
        """Credentials and their devices by lookup id (unknown ids left out)."""
        ...


ChainProvisioner = Callable[[str], Awaitable[bool]]
"""Provisions the device of a certificate a profile CA signed; True when it now has it."""


@dataclass(frozen=True, slots=True)
class DeviceIdentity:
    """Who an authenticated device is: everything a transport stamps on its messages."""

    device_id: uuid.UUID
    tenant_id: uuid.UUID
    customer_id: uuid.UUID
    device_name: str
    device_type: str
    device_profile_id: uuid.UUID
    is_gateway: bool
    credentials_id: str
    originator: EntityRef = field(init=False, repr=False, compare=False)
    """The device as its messages' originator: one shared reference, not one per message
    (each would be one more object for the garbage collector to walk while in flight)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "originator", EntityRef(EntityType.DEVICE, self.device_id))


class _Cached(NamedTuple):
    """A cache entry: what authentication reads of found credentials, and their device."""

    credentials_type: CredentialsType
    identity: DeviceIdentity
    value: str | None
    """The stored credentials value, except an X.509 certificate's (never read again)."""
    row_id: uuid.UUID | None
    """The credentials row, kept only with a value (it names an unreadable one in the log)."""


class AuthFailure(IntEnum):
    """Why a CONNECT was refused, as MQTT 5 reason codes (the v3 mapping is the adapter's)."""

    BAD_USERNAME_OR_PASSWORD = 0x86
    CLIENT_IDENTIFIER_NOT_VALID = 0x85
    NOT_AUTHORIZED = 0x87
    SERVER_UNAVAILABLE = 0x88


@dataclass(frozen=True, slots=True)
class AuthOutcome:
    """An identity, or the reason code to refuse with."""

    identity: DeviceIdentity | None
    failure: AuthFailure | None = None


class DeviceAuthenticator:
    """Resolves what a device presents to a :class:`DeviceIdentity`."""

    def __init__(
        self,
        lookup: CredentialsLookup,
        cache_size: int = 100_000,
        *,
        chain_provisioner: ChainProvisioner | None = None,
    ) -> None:
        self._lookup = lookup
        self.chain_provisioner = chain_provisioner
        self._loads: BatchLoads[None, str, _Cached] = BatchLoads(self._load_many)
        """Cache misses asked for together (a fleet reconnecting) are read together."""
        self._changes = 0
        """Counts invalidations: a read that overlapped one may be stale and is not kept."""
        self._cache: OrderedDict[str, _Cached] = OrderedDict()
        self._cache_size = cache_size
        self._by_device: dict[uuid.UUID, tuple[str, ...]] = {}
        """Device id → its cached credentials ids (a tuple: usually one, and far smaller than
        a set)."""

    async def close(self) -> None:
        """Wait for credentials reads still running (the transports stopped)."""
        await self._loads.close()

    def invalidate(self, credentials: DeviceCredentials) -> None:
        """Forget cached credentials (they changed, or their device is gone)."""
        self.forget_credentials(credentials.credentials_id)

    def forget_credentials(self, credentials_id: str | None) -> None:
        """Forget one credentials id (changed here, or on another cluster node)."""
        self._changes += 1
        if credentials_id is not None:
            self._forget(credentials_id)

    def forget_device(self, device_id: uuid.UUID | None) -> None:
        """Forget every cached identity of one device (changed here, or on another node)."""
        self._changes += 1
        if device_id is not None:
            for credentials_id in self._by_device.pop(device_id, ()):
                self._cache.pop(credentials_id, None)

    def _forget(self, credentials_id: str) -> None:
        entry = self._cache.pop(credentials_id, None)
        if entry is None:
            return
        device_id = entry.identity.device_id
        ids = self._by_device.get(device_id)
        if ids is not None and credentials_id in ids:
            rest = tuple(i for i in ids if i != credentials_id)
            if rest:
                self._by_device[device_id] = rest
            else:
                del self._by_device[device_id]

    async def by_access_token(self, token: str) -> DeviceIdentity | None:
        """The device whose access token is ``token`` (HTTP, CoAP and MQTT username)."""
        found = await self._find(token)
        if found is None or found.credentials_type is not CredentialsType.ACCESS_TOKEN:
            return None
        return found.identity

    async def by_certificate(self, certificate: str) -> DeviceIdentity | None:
        """The device whose X.509 credentials are this certificate (PEM or base64 DER).

        An unknown certificate signed by a device profile's CA provisions (or re-keys) its
        device first, when a chain provisioner is configured (spec §8.2).
        """
        credentials_id = sha3_hex(normalize_certificate(certificate))
        found = await self._find(credentials_id)
        provisioner = self.chain_provisioner
        if found is None and provisioner is not None and await provisioner(certificate):
            found = await self._find(credentials_id)
        if found is None or found.credentials_type is not CredentialsType.X509_CERTIFICATE:
            return None
        return found.identity

    async def mqtt_connect(
        self, client_id: str, username: str | None, password: str | None
    ) -> AuthOutcome:
        """Authenticate an MQTT CONNECT by the basic-then-token order of spec §2.2."""
        if not username:
            if not client_id:
                return AuthOutcome(None, AuthFailure.NOT_AUTHORIZED)
            found = await self._find(mqtt_basic_credentials_id(client_id, None))
            if (
                found is not None
                and found.credentials_type is CredentialsType.MQTT_BASIC
                and await _basic_matches(found, client_id, None, password)
            ):
                return AuthOutcome(found.identity)
            return AuthOutcome(None, AuthFailure.CLIENT_IDENTIFIER_NOT_VALID)
        token_asked = False
        if client_id:
            basic_id = mqtt_basic_credentials_id(client_id, username)
            if basic_id in self._cache:
                basic = await self._find(basic_id)
            else:
                # unknown ids are never cached, and token devices send a client id too: ask
                # for both candidates in the same read rather than one after the other
                basic, found = await asyncio.gather(self._find(basic_id), self._find(username))
                token_asked = True
            if basic is not None and basic.credentials_type is CredentialsType.MQTT_BASIC:
                if await _basic_matches(basic, client_id, username, password):
                    return AuthOutcome(basic.identity)
                return AuthOutcome(None, AuthFailure.BAD_USERNAME_OR_PASSWORD)
        if not token_asked:
            found = await self._find(username)
        if found is not None:
            if found.credentials_type is CredentialsType.ACCESS_TOKEN:
                return AuthOutcome(found.identity)
            if found.credentials_type is CredentialsType.MQTT_BASIC and await _basic_matches(
                found, client_id, username, password
            ):
                return AuthOutcome(found.identity)
        return AuthOutcome(None, AuthFailure.BAD_USERNAME_OR_PASSWORD)

    async def _find(self, credentials_id: str) -> _Cached | None:
        cached = self._cache.get(credentials_id)
        if cached is not None:
            self._cache.move_to_end(credentials_id)
            return cached
        return await self._loads.get(None, credentials_id)

    async def _load_many(self, _: None, credentials_ids: list[str]) -> dict[str, _Cached]:
        """Read cache misses together; keep them unless credentials changed meanwhile."""
        changes = self._changes
        found = await self._lookup.find_by_credentials(credentials_ids)
        entries = {
            credentials_id: _entry(credentials, _identity(device, credentials_id))
            for credentials_id, (credentials, device) in found.items()
        }
        if self._changes == changes:
            for credentials_id, entry in entries.items():
                self._keep(credentials_id, entry)
        return entries

    def _keep(self, credentials_id: str, entry: _Cached) -> None:
        self._cache[credentials_id] = entry
        self._cache.move_to_end(credentials_id)
        ids = self._by_device.get(entry.identity.device_id, ())
        if credentials_id not in ids:
            self._by_device[entry.identity.device_id] = (*ids, credentials_id)
        if len(self._cache) > self._cache_size:
            oldest = next(iter(self._cache))
            self._forget(oldest)


def _entry(credentials: DeviceCredentials, identity: DeviceIdentity) -> _Cached:
    """The cache entry of found credentials (a certificate is matched by its id alone)."""
    value = credentials.credentials_value
    if credentials.credentials_type is CredentialsType.X509_CERTIFICATE:
        value = None
    return _Cached(credentials.credentials_type, identity, value, credentials.id if value else None)


def _identity(device: Device, credentials_id: str) -> DeviceIdentity:
    assert device.id is not None and device.tenant_id is not None
    assert device.device_profile_id is not None
    return DeviceIdentity(
        device_id=device.id,
        tenant_id=device.tenant_id,
        customer_id=device.customer_id,
        device_name=device.name,
        device_type=device.type or "default",
        device_profile_id=device.device_profile_id,
        is_gateway=device.is_gateway,
        credentials_id=credentials_id,
    )


async def _basic_matches(
    found: _Cached, client_id: str, username: str | None, password: str | None
) -> bool:
    """Check the stored clientId / userName / password of MQTT basic credentials.

    An argon2 password is checked on the password threads: ~0.1-0.4 s of CPU that would
    otherwise stop every connection of the node."""
    if found.credentials_type is CredentialsType.X509_CERTIFICATE:
        return False  # a certificate is no JSON object: it never matched (its value is dropped)
    try:
        stored = orjson.loads(found.value or "{}")
    except orjson.JSONDecodeError:
        log.error("unreadable MQTT basic credentials %s", found.row_id)
        return False
    if stored.get("clientId") and stored["clientId"] != client_id:
        return False
    if stored.get("userName") and stored["userName"] != username:
        return False
    expected = stored.get("password")
    if not expected:
        return True
    if password is None:
        return False
    if expected.startswith("$argon2"):
        return await verify_password_async(expected, password)
    return bool(expected == password)
