"""The provisioning service over a real database (both engines): decisions, audit, announcements."""

from __future__ import annotations

import uuid
from pathlib import Path

import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.devices.provision_wire import (
    ProvisionRequest,
    ProvisionRequestError,
    ProvisionStatus,
    parse_request,
)
from industryos.devices.provisioning import Provisioner
from industryos.entities.models import ActionType, DeviceProfile
from industryos.entities.paging import PageLink
from tests.support.core import CoreWithTenant, core_with_tenant


async def make_profile(setup: CoreWithTenant, strategy: str, secret: str) -> DeviceProfile:
    key = f"key-{uuid.uuid4().hex[:8]}"
    profile = DeviceProfile(name=f"p-{key}", provision_type=strategy, provision_device_key=key)
    profile.profile_data["provisionConfiguration"] = {
        "type": strategy,
        "provisionDeviceSecret": secret,
    }
    return await setup.core.device_profiles.save(setup.admin, profile)


def provisioner(setup: CoreWithTenant) -> Provisioner:
    core = setup.core
    return Provisioner(
        core.db, core.repos, core.devices, core.telemetry, core.audit, setup.publisher
    )


async def audit_actions(setup: CoreWithTenant) -> list[tuple[str, str, str | None]]:
    page = await setup.core.audit.page(setup.admin, PageLink(page_size=100, page=0))
    return [
        (e.action_type.value, e.action_status.value, e.entity_name)
        for e in page.data
        if e.action_type in (ActionType.PROVISION_SUCCESS, ActionType.PROVISION_FAILURE)
    ]


async def test_success_and_failure_are_audited_and_announced(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    setup = await core_with_tenant(engine, tmp_path)
    try:
        profile = await make_profile(setup, "ALLOW_CREATE_NEW_DEVICES", "s")
        assert profile.provision_device_key is not None
        service = provisioner(setup)
        ask = ProvisionRequest(profile.provision_device_key, "s", device_name="audited")

        ok = await service.provision(ask)
        failed = await service.provision(ask)
        wrong = await service.provision(
            ProvisionRequest(profile.provision_device_key, "x", device_name="other")
        )

        assert ok.status is ProvisionStatus.SUCCESS
        assert failed.status is ProvisionStatus.FAILURE
        assert wrong.status is ProvisionStatus.NOT_FOUND
        assert sorted(await audit_actions(setup)) == [
            ("PROVISION_FAILURE", "FAILURE", "audited"),
            ("PROVISION_SUCCESS", "SUCCESS", "audited"),
        ]
        types = setup.publisher.types()
        assert types.count("PROVISION_SUCCESS") == 1 and types.count("PROVISION_FAILURE") == 1
        announced = next(m for m in setup.publisher.messages if m.type == "PROVISION_SUCCESS")
        assert announced.metadata["deviceName"] == "audited"
        assert "provisionDeviceSecret" not in orjson.loads(announced.data)
    finally:
        await setup.close()


async def test_x509_chain_profile_and_missing_secret_are_not_found(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    """X509_CERTIFICATE_CHAIN asked by key/secret is NOT_FOUND (ThingsBoard crashes there)."""
    setup = await core_with_tenant(engine, tmp_path)
    try:
        chain = await make_profile(setup, "X509_CERTIFICATE_CHAIN", "s")
        no_secret = await make_profile(setup, "ALLOW_CREATE_NEW_DEVICES", "")
        service = provisioner(setup)
        for profile in (chain, no_secret):
            assert profile.provision_device_key is not None
            answer = await service.provision(
                ProvisionRequest(profile.provision_device_key, "", device_name="n")
            )
            assert answer.status is ProvisionStatus.NOT_FOUND
        answer = await service.provision(ProvisionRequest("", "", device_name="n"))
        assert answer.status is ProvisionStatus.NOT_FOUND
    finally:
        await setup.close()


async def test_taken_token_fails_without_leaving_a_device(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    setup = await core_with_tenant(engine, tmp_path)
    try:
        profile = await make_profile(setup, "ALLOW_CREATE_NEW_DEVICES", "s")
        assert profile.provision_device_key is not None
        service = provisioner(setup)
        first = ProvisionRequest(profile.provision_device_key, "s", device_name="a", token="same")
        second = ProvisionRequest(profile.provision_device_key, "s", device_name="b", token="same")
        assert (await service.provision(first)).status is ProvisionStatus.SUCCESS
        assert (await service.provision(second)).status is ProvisionStatus.FAILURE
        names = [d.name for d in (await setup.core.devices.page(setup.admin, PageLink(10, 0))).data]
        assert "a" in names and "b" not in names
    finally:
        await setup.close()


@pytest.mark.parametrize(
    "payload",
    [
        b"{not json",
        b"[]",
        b'{"provisionDeviceKey": "k"}',
        b'{"provisionDeviceSecret": "s"}',
        b'{"provisionDeviceKey": 1, "provisionDeviceSecret": "s"}',
        b'{"provisionDeviceKey": "k", "provisionDeviceSecret": "s", "credentialsType": "LWM2M"}',
    ],
)
def test_unreadable_requests(payload: bytes) -> None:
    with pytest.raises(ProvisionRequestError):
        parse_request(payload)


def test_request_fields_and_defaults() -> None:
    parsed = parse_request(
        b'{"provisionDeviceKey":"k","provisionDeviceSecret":"s","deviceName":"d",'
        b'"credentialsType":"MQTT_BASIC","clientId":"c","username":"u","password":"p",'
        b'"gateway":true}'
    )
    assert (parsed.device_name, parsed.client_id, parsed.username, parsed.password) == (
        "d",
        "c",
        "u",
        "p",
    )
    assert parsed.gateway and parsed.credentials_type.value == "MQTT_BASIC"
    minimal = parse_request(b'{"provisionDeviceKey":"k","provisionDeviceSecret":"s"}')
    assert minimal.credentials_type.value == "ACCESS_TOKEN" and not minimal.gateway
