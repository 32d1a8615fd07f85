"""Device provisioning: a device with a profile's key and secret gets credentials (spec §8.2).

Transport-neutral: MQTT, HTTP and CoAP parse the request with
:func:`~industryos.devices.provision_wire.parse_request`, call :meth:`Provisioner.provision`
and send :meth:`ProvisionResponse.to_json`.

Strategies (the profile's ``provisionType``):

* ``ALLOW_CREATE_NEW_DEVICES`` creates the device in the profile's tenant (trimmed
  ``deviceName``, or 20 random alphanumerics when absent) with the credentials the device
  chose, or a generated access token; a name already taken is FAILURE.
* ``CHECK_PRE_PROVISIONED_DEVICES`` hands out the existing credentials of a device of that
  name *in this profile*, once: the SERVER_SCOPE attribute ``provisionState`` becomes
  ``provisioned`` and a second request is FAILURE.
* ``DISABLED``, ``X509_CERTIFICATE_CHAIN`` (a TLS-handshake strategy, not implemented),
  an unknown key or a wrong secret are NOT_FOUND.

Outcomes for a known profile are audited (PROVISION_SUCCESS / PROVISION_FAILURE, by the
pseudo-user ``provisioning``) and announced to the rule engine with the same types.
NOT_FOUND is neither: no tenant is known, and guessing keys must not flood a tenant's log.

Design limit: provisioning decisions are serialised per node by one lock, so two requests
for the same pre-provisioned device on one node cannot both succeed; a cluster relies on
the device-name unique constraint for creation only.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import uuid
from typing import Any, Protocol

import orjson
import sqlalchemy as sa

from industryos.entities.access import Caller
from industryos.entities.audit_service import AuditService
from industryos.entities.credentials import generate_access_token
from industryos.entities.device_service import DeviceService
from industryos.entities.errors import EntityError
from industryos.entities.events import MsgPublisher
from industryos.entities.ids import NULL_UUID, EntityType
from industryos.entities.models import (
    ActionType,
    Authority,
    CredentialsType,
    Device,
    DeviceCredentials,
    DeviceProfile,
)
from industryos.msg import EntityRef, Msg
from industryos.storage import schema
from industryos.storage.database import Database
from industryos.storage.repositories import Repositories
from industryos.telemetry.kv import AttributeKvEntry, AttributeScope, DataType, KvEntry

from .provision_wire import (
    PROVISION_STATE_KEY,
    PROVISIONED,
    ProvisionMsgType,
    ProvisionRequest,
    ProvisionResponse,
    ProvisionStatus,
    ProvisionType,
)

__all__ = ["PROVISIONING_USER", "Provisioner"]

log = logging.getLogger(__name__)

PROVISIONING_USER = "provisioning"
"""The user name audit entries and rule-engine metadata carry for provisioning."""


class ProvisionAttributes(Protocol):
    """What provisioning needs from the telemetry service."""

    async def save_attributes(
        self,
        tenant_id: uuid.UUID,
        entity_id: uuid.UUID,
        scope: AttributeScope,
        entries: list[KvEntry],
        ts: int | None = None,
    ) -> object:
        """Upsert attributes of one scope."""
        ...

    async def get_attributes(
        self,
        tenant_id: uuid.UUID,
        entity_id: uuid.UUID,
        scope: AttributeScope | None = None,
        keys: list[str] | None = None,
    ) -> dict[AttributeScope, list[AttributeKvEntry]]:
        """Attributes per scope."""
        ...


class _Failed(Exception):
    """A known profile, but this device cannot be provisioned (FAILURE)."""

    def __init__(self, reason: str, device: Device | None = None) -> None:
        super().__init__(reason)
        self.device = device


class Provisioner:
    """Answers provisioning requests against the device profiles of every tenant."""

    def __init__(
        self,
        db: Database,
        repos: Repositories,
        devices: DeviceService,
        attributes: ProvisionAttributes,
        audit: AuditService,
        publisher: MsgPublisher,
    ) -> None:
        self._db = db
        self._repos = repos
        self._devices = devices
        self._attributes = attributes
        self._audit = audit
        self._publisher = publisher
        self._lock = asyncio.Lock()

    async def provision(self, request: ProvisionRequest) -> ProvisionResponse:
        """Provision per the profile's strategy; never raises for a readable request."""
        profile = await self._profile(request.provision_device_key)
        if profile is None or not _secret_matches(profile, request.provision_device_secret):
            log.warning("provisioning refused: unknown key or wrong secret")
            return ProvisionResponse.not_found()
        strategy = _strategy(profile)
        if strategy is ProvisionType.ALLOW_CREATE_NEW_DEVICES:
            decide = self._create
        elif strategy is ProvisionType.CHECK_PRE_PROVISIONED_DEVICES:
            decide = self._pre_provisioned
        else:
            log.warning("provisioning refused: profile %s has strategy %s", profile.id, strategy)
            return ProvisionResponse.not_found()
        try:
            async with self._lock:
                device, credentials = await decide(profile, request)
        except _Failed as failed:
            log.warning("provisioning into profile %s failed: %s", profile.id, failed)
            await self._record(profile, request, failed.device, failure=str(failed))
            return ProvisionResponse.failure()
        await self._record(profile, request, device, failure=None)
        log.debug("device %s provisioned into profile %s", device.id, profile.id)
        return _success(credentials)

    # --- strategies ----------------------------------------------------------------------

    async def _create(
        self, profile: DeviceProfile, request: ProvisionRequest
    ) -> tuple[Device, DeviceCredentials]:
        name = _device_name(request.device_name)
        assert profile.tenant_id is not None
        existing = await self._find_device(profile.tenant_id, name)
        if existing is not None:
            raise _Failed(f"a device named {name!r} already exists", existing)
        device = Device(
            name=name, device_profile_id=profile.id, additional_info={"gateway": request.gateway}
        )
        try:
            saved = await self._devices.save(
                _caller(profile), device, credentials=_requested_credentials(request)
            )
        except EntityError as exc:
            raise _Failed(str(exc)) from None
        except sa.exc.IntegrityError:
            raise _Failed(f"a device named {name!r} or its credentials already exist") from None
        await self._mark_provisioned(saved)
        return saved, await self._credentials_of(saved)

    async def _pre_provisioned(
        self, profile: DeviceProfile, request: ProvisionRequest
    ) -> tuple[Device, DeviceCredentials]:
        assert profile.tenant_id is not None
        name = (request.device_name or "").strip()
        device = await self._find_device(profile.tenant_id, name) if name else None
        if device is None or device.device_profile_id != profile.id:
            raise _Failed(f"no pre-provisioned device {name!r} in the profile")
        if await self._is_provisioned(device):
            raise _Failed(f"device {name!r} is already provisioned", device)
        await self._mark_provisioned(device)
        return device, await self._credentials_of(device)

    # --- storage -------------------------------------------------------------------------

    async def _profile(self, key: str) -> DeviceProfile | None:
        if not key:
            return None
        async with self._db.read() as conn:
            return await self._repos.device_profiles.find_one(
                conn, schema.device_profile.c.provision_device_key == key
            )

    async def _find_device(self, tenant_id: uuid.UUID, name: str) -> Device | None:
        table = schema.device
        async with self._db.read() as conn:
            return await self._repos.devices.find_one(
                conn, table.c.tenant_id == tenant_id, table.c.name == name
            )

    async def _credentials_of(self, device: Device) -> DeviceCredentials:
        async with self._db.read() as conn:
            credentials = await self._repos.device_credentials.find_one(
                conn, schema.device_credentials.c.device_id == device.id
            )
        if credentials is None:
            raise _Failed(f"device {device.name!r} has no credentials", device)
        return credentials

    async def _is_provisioned(self, device: Device) -> bool:
        assert device.tenant_id is not None and device.id is not None
        found = await self._attributes.get_attributes(
            device.tenant_id, device.id, AttributeScope.SERVER_SCOPE, [PROVISION_STATE_KEY]
        )
        return any(
            entry.value == PROVISIONED for entry in found.get(AttributeScope.SERVER_SCOPE, [])
        )

    async def _mark_provisioned(self, device: Device) -> None:
        assert device.tenant_id is not None and device.id is not None
        entry = KvEntry(PROVISION_STATE_KEY, PROVISIONED, DataType.STRING)
        await self._attributes.save_attributes(
            device.tenant_id, device.id, AttributeScope.SERVER_SCOPE, [entry]
        )

    async def _record(
        self,
        profile: DeviceProfile,
        request: ProvisionRequest,
        device: Device | None,
        *,
        failure: str | None,
    ) -> None:
        """Audit the outcome; announce it to the rule engine when a device is known."""
        action = ActionType.PROVISION_FAILURE if failure else ActionType.PROVISION_SUCCESS
        entity_type, entity_id, name = EntityType.DEVICE_PROFILE, profile.id, profile.name
        if device is not None:
            entity_type, entity_id, name = EntityType.DEVICE, device.id, device.name
        await self._audit.record(
            _caller(profile),
            action,
            entity_type=entity_type,
            entity_id=entity_id,
            entity_name=name,
            customer_id=device.customer_id if device is not None else NULL_UUID,
            data=request.to_json(),
            failure=failure,
        )
        if device is None:
            return
        assert device.id is not None and device.tenant_id is not None
        msg_type = (
            ProvisionMsgType.PROVISION_FAILURE if failure else ProvisionMsgType.PROVISION_SUCCESS
        )
        await self._publisher.publish(
            Msg(
                type=msg_type.value,
                originator=EntityRef(EntityType.DEVICE, device.id),
                tenant_id=device.tenant_id,
                customer_id=device.customer_id,
                data=orjson.dumps(request.to_json()).decode(),
                metadata={"deviceName": device.name, "deviceType": device.type or ""},
            )
        )


def _caller(profile: DeviceProfile) -> Caller:
    """Tenant rights inside the profile's tenant: the secret is the proof."""
    assert profile.tenant_id is not None
    return Caller(NULL_UUID, PROVISIONING_USER, Authority.TENANT_ADMIN, profile.tenant_id)


def _strategy(profile: DeviceProfile) -> ProvisionType:
    try:
        return ProvisionType(profile.provision_type)
    except ValueError:
        return ProvisionType.DISABLED


def _secret_matches(profile: DeviceProfile, secret: str) -> bool:
    """Constant-time comparison with ``provisionConfiguration.provisionDeviceSecret``."""
    configuration = (profile.profile_data or {}).get("provisionConfiguration") or {}
    expected = configuration.get("provisionDeviceSecret")
    if not isinstance(expected, str) or not expected:
        return False
    return hmac.compare_digest(expected.encode(), secret.encode())


def _device_name(requested: str | None) -> str:
    if requested is None or requested == "":
        return generate_access_token()  # 20 random alphanumerics
    name = requested.strip()
    if not name:
        raise _Failed("the device name is blank")
    return name


def _requested_credentials(request: ProvisionRequest) -> DeviceCredentials:
    kind = request.credentials_type
    if kind is CredentialsType.MQTT_BASIC:
        value = {"clientId": request.client_id, "userName": request.username}
        value["password"] = request.password
        return DeviceCredentials(
            credentials_type=kind, credentials_value=orjson.dumps(value).decode()
        )
    if kind is CredentialsType.X509_CERTIFICATE:
        return DeviceCredentials(credentials_type=kind, credentials_value=request.certificate)
    return DeviceCredentials(credentials_type=kind, credentials_id=request.token or None)


def _success(credentials: DeviceCredentials) -> ProvisionResponse:
    kind = credentials.credentials_type
    value: Any
    if kind is CredentialsType.ACCESS_TOKEN:
        value = credentials.credentials_id
    elif kind is CredentialsType.MQTT_BASIC:
        value = orjson.loads(credentials.credentials_value or "{}")
    else:
        value = credentials.credentials_value
    return ProvisionResponse(ProvisionStatus.SUCCESS, kind, value)
