"""Device profiles with provisioning settings, made on a live node (shared by transport tests)."""

from __future__ import annotations

import uuid
from typing import Any

from industryos.entities.models import DeviceProfile
from tests.transport.mqtt.device.livenode import LiveNode


def provision_profile(live: LiveNode, strategy: str = "ALLOW_CREATE_NEW_DEVICES") -> DeviceProfile:
    """A profile of the test tenant with a fresh provisioning key and secret."""
    assert live.admin is not None
    suffix = uuid.uuid4().hex[:10]
    profile = DeviceProfile(
        name=f"prov-{suffix}", provision_type=strategy, provision_device_key=f"key-{suffix}"
    )
    profile.profile_data["provisionConfiguration"] = {
        "type": strategy,
        "provisionDeviceKey": f"key-{suffix}",
        "provisionDeviceSecret": f"secret-{suffix}",
    }
    saved: DeviceProfile = live.run(live.core.device_profiles.save(live.admin, profile))
    return saved


def secret_of(profile: DeviceProfile) -> str:
    """The profile's ``provisionDeviceSecret``."""
    secret: str = profile.profile_data["provisionConfiguration"]["provisionDeviceSecret"]
    return secret


def request(profile: DeviceProfile, **fields: Any) -> dict[str, Any]:
    """A provisioning request for ``profile`` with extra ``fields`` (camelCase names)."""
    return {
        "provisionDeviceKey": profile.provision_device_key,
        "provisionDeviceSecret": secret_of(profile),
        **fields,
    }


def find_device(live: LiveNode, name: str) -> Any:
    """The test tenant's device called ``name``."""
    assert live.admin is not None
    return live.run(live.core.devices.find_by_name(live.admin, name))
