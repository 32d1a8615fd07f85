"""Device authentication: tokens, MQTT basic rules of spec device-api §2.2, X.509, cache."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.entities.credentials import mqtt_basic_credentials_id, normalize_certificate
from industryos.entities.ids import EntityType
from industryos.entities.models import CredentialsType, Customer, Device, DeviceCredentials
from industryos.entities.passwords import hash_password_async
from industryos.msg import EntityRef
from industryos.transport.auth import AuthFailure, CredentialsLookup, DeviceAuthenticator
from tests.support.certificates import self_signed_pem
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
    assert identity.originator == EntityRef(EntityType.DEVICE, device.id)
    assert dataclasses.replace(identity, device_name="renamed").originator == identity.originator
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
    devices.on_device_changed(lambda before, _: auth.forget_device(before.id))
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


class _CountingLookup:
    """The real device service, counting the credentials reads that reach it."""

    def __init__(self, devices: CredentialsLookup) -> None:
        self._devices = devices
        self.queries = 0
        self.asked: list[list[str]] = []

    async def find_by_credentials(
        self, credentials_ids: Sequence[str]
    ) -> dict[str, tuple[DeviceCredentials, Device]]:
        self.queries += 1
        self.asked.append(list(credentials_ids))
        return await self._devices.find_by_credentials(credentials_ids)


async def test_cache_answers_repeats_and_forgets_on_every_change(env: CoreWithTenant) -> None:
    devices = env.core.devices
    lookup = _CountingLookup(devices)
    auth = DeviceAuthenticator(lookup)
    devices.on_credentials_changed(auth.invalidate)
    devices.on_device_changed(lambda before, _: auth.forget_device(before.id))
    device = await devices.save(env.admin, Device(name="cached"), access_token="CACHED_1")
    first = await auth.by_access_token("CACHED_1")
    assert first is not None and lookup.queries == 1
    assert await auth.by_access_token("CACHED_1") == first
    assert (await auth.mqtt_connect("", "CACHED_1", None)).identity == first
    assert await auth.by_certificate(self_signed_pem("not-a-token")) is None
    assert lookup.queries == 2  # the unknown certificate; the token came from the cache
    await devices.save(env.admin, device.model_copy(update={"name": "renamed"}))
    renamed = await auth.by_access_token("CACHED_1")
    assert renamed is not None and renamed.device_name == "renamed" and lookup.queries == 3
    await devices.update_credentials(
        env.admin,
        DeviceCredentials(
            device_id=device.id,
            credentials_type=CredentialsType.ACCESS_TOKEN,
            credentials_id="CACHED_2",
        ),
    )
    assert await auth.by_access_token("CACHED_1") is None
    assert lookup.queries == 4
    assert await auth.by_access_token("CACHED_2") is not None
    assert auth._by_device == {device.id: ("CACHED_2",)}
    assert device.id is not None
    await devices.delete(env.admin, device.id)
    assert auth._by_device == {}
    assert await auth.by_access_token("CACHED_2") is None


async def test_cached_mqtt_basic_credentials_still_check_the_password(env: CoreWithTenant) -> None:
    devices = env.core.devices
    lookup = _CountingLookup(devices)
    auth = DeviceAuthenticator(lookup)
    await devices.save(env.admin, Device(name="b4"), credentials=_basic("cid4", "u4", "pw4"))
    assert (await auth.mqtt_connect("cid4", "u4", "pw4")).identity is not None
    wrong = await auth.mqtt_connect("cid4", "u4", "bad")
    assert wrong.failure is AuthFailure.BAD_USERNAME_OR_PASSWORD
    assert (await auth.mqtt_connect("cid4", "u4", "pw4")).identity is not None
    assert lookup.queries == 1


async def test_certificate_body_as_client_id_is_no_basic_login(env: CoreWithTenant) -> None:
    pem = self_signed_pem("device-x509-as-client")
    devices = env.core.devices
    await devices.save(
        env.admin,
        Device(name="x2"),
        credentials=DeviceCredentials(
            credentials_type=CredentialsType.X509_CERTIFICATE, credentials_value=pem
        ),
    )
    auth = DeviceAuthenticator(devices)
    body = normalize_certificate(pem)
    for _ in range(2):  # found in the database, then in the cache
        refused = await auth.mqtt_connect(body, None, None)
        assert refused.failure is AuthFailure.CLIENT_IDENTIFIER_NOT_VALID
    assert await auth.by_certificate(pem) is not None


async def test_evicted_entries_leave_no_device_index(env: CoreWithTenant) -> None:
    devices = env.core.devices
    auth = DeviceAuthenticator(devices, cache_size=1)
    devices.on_device_changed(lambda before, _: auth.forget_device(before.id))
    one = await devices.save(env.admin, Device(name="e1"), access_token="EVICT_1")
    two = await devices.save(env.admin, Device(name="e2"), access_token="EVICT_2")
    assert await auth.by_access_token("EVICT_1") is not None
    assert await auth.by_access_token("EVICT_2") is not None
    assert auth._by_device == {two.id: ("EVICT_2",)}
    assert one.id is not None
    await devices.delete(env.admin, one.id)
    assert await auth.by_access_token("EVICT_1") is None
    assert await auth.by_access_token("EVICT_2") is not None


@pytest.mark.usefixtures("production_password_cost")  # a check long enough to watch
async def test_an_argon2_basic_password_is_checked_off_the_event_loop(env: CoreWithTenant) -> None:
    """A hashed MQTT basic password takes argon2's time: every other connection keeps going."""
    devices = env.core.devices
    stored = _basic("argon-client", "argon-user", await hash_password_async("s3cret"))
    await devices.save(env.admin, Device(name="argon"), credentials=stored)
    auth = DeviceAuthenticator(devices)
    assert (await auth.mqtt_connect("argon-client", "argon-user", "s3cret")).identity is not None
    wrong = await auth.mqtt_connect("argon-client", "argon-user", "guess")
    assert wrong.failure is AuthFailure.BAD_USERNAME_OR_PASSWORD
    # the credentials are cached now: only the password check is left, and it must not block
    check = asyncio.create_task(auth.mqtt_connect("argon-client", "argon-user", "s3cret"))
    turns = 0
    while not check.done():
        turns += 1
        await asyncio.sleep(0)
    assert (await check).identity is not None
    assert turns > 10, "the loop stood still while argon2 ran"


async def test_client_id_only_login_takes_mqtt_basic_credentials_only(env: CoreWithTenant) -> None:
    """A token that happens to equal the hash an id-only login looks up is not a login."""
    devices = env.core.devices
    await devices.save(
        env.admin, Device(name="tok"), access_token=mqtt_basic_credentials_id("cid", None)
    )
    outcome = await DeviceAuthenticator(devices).mqtt_connect("cid", None, None)
    assert outcome.failure is AuthFailure.CLIENT_IDENTIFIER_NOT_VALID


async def test_a_fleet_reconnecting_is_read_together(env: CoreWithTenant) -> None:
    """Cache misses of one loop turn: one batched read for all of them (unknown tokens
    included, and never kept), then every device is answered from the cache."""
    devices = env.core.devices
    tokens = [f"FLEET_{i}" for i in range(40)]
    for token in tokens:
        await devices.save(env.admin, Device(name=token), access_token=token)
    lookup = _CountingLookup(devices)
    auth = DeviceAuthenticator(lookup)
    found = await asyncio.gather(*(auth.by_access_token(t) for t in [*tokens, "NOPE", tokens[0]]))
    assert [f.device_name if f else None for f in found] == [*tokens, None, tokens[0]]
    assert lookup.asked == [[*tokens, "NOPE"]]  # a token asked twice is read once
    assert [await auth.by_access_token(t) for t in tokens] == found[:-2]
    assert await auth.by_access_token("NOPE") is None
    assert lookup.asked[1:] == [["NOPE"]]


async def test_a_read_overlapping_a_change_is_not_kept(env: CoreWithTenant) -> None:
    """Credentials changed while their read was under way: that read answers its caller
    but is not kept, so a revoked token cannot live on in the cache."""
    devices = env.core.devices
    device = await devices.save(env.admin, Device(name="racing"), access_token="RACE_1")
    assert device.id is not None
    lookup = _CountingLookup(devices)
    auth = DeviceAuthenticator(lookup)
    devices.on_credentials_changed(auth.invalidate)
    held, started = asyncio.Event(), asyncio.Event()
    read = lookup.find_by_credentials

    async def held_read(
        credentials_ids: Sequence[str],
    ) -> dict[str, tuple[DeviceCredentials, Device]]:
        found = await read(credentials_ids)
        started.set()
        await held.wait()  # the change lands after the read saw the old row
        return found

    lookup.find_by_credentials = held_read  # type: ignore[method-assign]
    reading = asyncio.create_task(auth.by_access_token("RACE_1"))
    await started.wait()
    credentials = await devices.get_credentials(env.admin, device.id)
    await devices.update_credentials(
        env.admin, credentials.model_copy(update={"credentials_id": "RACE_2"})
    )
    held.set()
    assert (await reading) is not None  # the caller that raced the change
    assert await auth.by_access_token("RACE_1") is None  # read again, not from the cache
    assert lookup.queries == 2
    assert (await auth.by_access_token("RACE_2")) is not None


async def test_a_token_device_with_a_client_id_costs_one_read(env: CoreWithTenant) -> None:
    """The MQTT-basic id that a client id and token make (unknown, never cached) and the
    token itself are asked for in the same read; the basic one still wins when it exists."""
    devices = env.core.devices
    await devices.save(env.admin, Device(name="tb-client"), access_token="WITH_CLIENT_ID")
    lookup = _CountingLookup(devices)
    auth = DeviceAuthenticator(lookup)
    outcome = await auth.mqtt_connect("client-7", "WITH_CLIENT_ID", None)
    assert outcome.identity is not None and outcome.identity.device_name == "tb-client"
    basic_id = mqtt_basic_credentials_id("client-7", "WITH_CLIENT_ID")
    assert lookup.asked == [[basic_id, "WITH_CLIENT_ID"]]
    await auth.mqtt_connect("client-7", "WITH_CLIENT_ID", None)  # token cached, basic id not
    assert lookup.asked[1:] == [[basic_id]]


async def test_an_unknown_token_with_a_client_id_is_read_once(env: CoreWithTenant) -> None:
    lookup = _CountingLookup(env.core.devices)
    auth = DeviceAuthenticator(lookup)
    refused = await auth.mqtt_connect("client-8", "NO_SUCH_TOKEN", None)
    assert refused.failure is AuthFailure.BAD_USERNAME_OR_PASSWORD
    assert lookup.queries == 1
