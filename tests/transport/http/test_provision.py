"""HTTP ``POST /api/v1/provision`` (spec §3, checklist 36): 200 with the status in the body."""

from __future__ import annotations

import uuid

import httpx

from tests.devices.provision_profiles import find_device, provision_profile, request
from tests.transport.mqtt.device.livenode import LiveNode


def test_every_decision_is_200_with_its_status(live: LiveNode, http: httpx.Client) -> None:
    """Checklist 36: SUCCESS, NOT_FOUND and FAILURE all come back as 200."""
    profile = provision_profile(live)
    name = f"http-prov-{uuid.uuid4().hex[:8]}"
    created = http.post("/api/v1/provision", json=request(profile, deviceName=name))
    assert created.status_code == 200
    body = created.json()
    assert body["status"] == "SUCCESS" and body["credentialsType"] == "ACCESS_TOKEN"
    assert find_device(live, name).device_profile_id == profile.id
    telemetry = http.post(f"/api/v1/{body['credentialsValue']}/telemetry", json={"t": 1})
    assert telemetry.status_code == 200

    again = http.post("/api/v1/provision", json=request(profile, deviceName=name))
    assert (again.status_code, again.json()) == (
        200,
        {"errorMsg": "Failed to provision device!", "status": "FAILURE"},
    )
    wrong = {**request(profile, deviceName="w"), "provisionDeviceSecret": "nope"}
    refused = http.post("/api/v1/provision", json=wrong)
    assert (refused.status_code, refused.json()["status"]) == (200, "NOT_FOUND")


def test_unreadable_request_is_400(http: httpx.Client) -> None:
    """Malformed JSON or a missing key/secret: 400 (ThingsBoard answers 500; §3 allows 400)."""
    assert http.post("/api/v1/provision", content=b"{not json").status_code == 400
    missing = http.post("/api/v1/provision", json={"provisionDeviceKey": "k"})
    assert missing.status_code == 400
