"""Device authentication: tokens, MQTT basic rules of spec device-api §2.2, X.509, cache."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.entities.models import CredentialsType, Customer, Device, DeviceCredentials
from industryos.transport.auth import AuthFailure, DeviceAuthenticator
from tests.support.core import CoreWithTenant, core_with_tenant


@pytest.fixture
async def env(engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[CoreWithTenant]:
    env = await core_with_tenant(engine, tmp_path)
    yield env
    await env.close()


def _basic(client_id: str | None, user: str | None, password: str | None) -> DeviceCredentials:
    value = orjson.dumps({"clientId": client_id, "userName": user, "password": password})
    return DeviceCredentials(
        credentials_type=CredentialsType.MQTT_BASIC, credentials_value=value.decode()
    )


async def test_access_token(env: CoreWithTenant) -> None:
    devices = env.core.devices
    device = await devices.save(env.admin, Device(name="d1"), access_token="TOKEN_1")
    auth = DeviceAuthenticator(devices)
    identity = await auth.by_access_token("TOKEN_1")
    assert identity is not None
    assert identity.device_id == device.id
    assert identity.tenant_id == env.admin.tenant_id
    assert identity.device_type == "default"
    assert await auth.by_access_token("WRONG") is None
    outcome = await auth.mqtt_connect("any-client", "TOKEN_1", "ignored")
    assert outcome.identity == identity
    refused = await auth.mqtt_connect("", "WRONG", None)
    assert refused.failure is AuthFailure.BAD_USERNAME_OR_PASSWORD


async def test_changed_credentials_invalidate_the_cache(env: CoreWithTenant) -> None:
    devices = env.core.devices
    auth = DeviceAuthenticator(devices)
    devices.on_credentials_changed(auth.invalidate)
    device = await devices.save(env.admin, Device(name="d1"), access_token="OLD_TOKEN")
    assert await auth.by_access_token("OLD_TOKEN") is not None
    await devices.update_credentials(
        env.admin,
        DeviceCredentials(
            device_id=device.id,
            credentials_type=CredentialsType.ACCESS_TOKEN,
            credentials_id="NEW_TOKEN",
        ),
    )
    assert await auth.by_access_token("OLD_TOKEN") is None
    assert await auth.by_access_token("NEW_TOKEN") is not None
    assert device.id is not None
    await devices.delete(env.admin, device.id)
    assert await auth.by_access_token("NEW_TOKEN") is None


async def test_mqtt_basic_client_and_user(env: CoreWithTenant) -> None:
    devices = env.core.devices
    await devices.save(env.admin, Device(name="b1"), credentials=_basic("cid", "user", "secret"))
    auth = DeviceAuthenticator(devices)
    assert (await auth.mqtt_connect("cid", "user", "secret")).identity is not None
    wrong = await auth.mqtt_connect("cid", "user", "nope")
    assert wrong.failure is AuthFailure.BAD_USERNAME_OR_PASSWORD
    other_client = await auth.mqtt_connect("other", "user", "secret")
    assert other_client.failure is AuthFailure.BAD_USERNAME_OR_PASSWORD


async def test_mqtt_basic_client_id_only(env: CoreWithTenant) -> None:
    devices = env.core.devices
    await devices.save(env.admin, Device(name="b2"), credentials=_basic("only-client", None, None))
    auth = DeviceAuthenticator(devices)
    assert (await auth.mqtt_connect("only-client", None, None)).identity is not None
    unknown = await auth.mqtt_connect("unknown-client", None, None)
    assert unknown.failure is AuthFailure.CLIENT_IDENTIFIER_NOT_VALID
    nothing = await auth.mqtt_connect("", None, None)
    assert nothing.failure is AuthFailure.NOT_AUTHORIZED


async def test_mqtt_basic_user_only_checks_stored_password(env: CoreWithTenant) -> None:
    devices = env.core.devices
    await devices.save(env.admin, Device(name="b3"), credentials=_basic(None, "lonely", "pw"))
    auth = DeviceAuthenticator(devices)
    assert (await auth.mqtt_connect("whatever", "lonely", "pw")).identity is not None
    assert (await auth.mqtt_connect("whatever", "lonely", "bad")).identity is None


async def test_x509_certificate(env: CoreWithTenant) -> None:
    from tests.support.certificates import self_signed_pem

    pem = self_signed_pem("device-x509")
    devices = env.core.devices
    await devices.save(
        env.admin,
        Device(name="x1"),
        credentials=DeviceCredentials(
            credentials_type=CredentialsType.X509_CERTIFICATE, credentials_value=pem
        ),
    )
    auth = DeviceAuthenticator(devices)
    identity = await auth.by_certificate(pem)
    assert identity is not None
    assert identity.device_name == "x1"
    assert await auth.by_certificate(self_signed_pem("other")) is None


async def test_renamed_or_reassigned_device_is_not_served_stale(env: CoreWithTenant) -> None:
    devices = env.core.devices
    auth = DeviceAuthenticator(devices)
    devices.on_device_changed(auth.device_changed)
    device = await devices.save(env.admin, Device(name="before"), access_token="RENAME_ME")
    identity = await auth.by_access_token("RENAME_ME")
    assert identity is not None
    assert identity.device_name == "before"
    await devices.save(env.admin, device.model_copy(update={"name": "after"}))
    identity = await auth.by_access_token("RENAME_ME")
    assert identity is not None
    assert identity.device_name == "after"
    customer = await env.core.customers.save(env.admin, Customer(title="Owner"))
    assert device.id is not None and customer.id is not None
    await devices.assign_to_customer(env.admin, device.id, customer.id)
    identity = await auth.by_access_token("RENAME_ME")
    assert identity is not None
    assert identity.customer_id == customer.id
