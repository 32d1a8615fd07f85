"""A device profile's default rule chain takes its devices' messages instead of the root
chain, from the first message after the profile is saved (ThingsBoard: the profile cache is
updated on save), and giving it up returns them to the root chain."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from industryos.node import Node
from tests.support.node import demo_admin_client, running_node


async def _post_and_settle(client: httpx.AsyncClient, node: Node, token: str, key: str) -> None:
    """Post ``{key: 1}`` as the device and wait until the rule engine finished it."""
    posted = await client.post(f"/api/v1/{token}/telemetry", json={key: 1})
    assert posted.status_code == 200, posted.text
    assert node.rules is not None
    for _ in range(400):
        if node.rules.lag("Main") == 0:
            break
        await asyncio.sleep(0.01)
    else:
        raise AssertionError("the rule engine did not finish the message")


async def _stored(client: httpx.AsyncClient, device_id: str, key: str) -> bool:
    """Whether the device has a stored ``key``."""
    url = f"/api/plugins/telemetry/DEVICE/{device_id}/values/timeseries"
    return key in (await client.get(url, params={"keys": key})).json()


async def test_a_saved_default_chain_takes_the_next_message(tmp_path: Path, db_url: str) -> None:
    async with running_node(tmp_path, db_url) as node, demo_admin_client(node) as client:
        profile = await client.post(
            "/api/deviceProfile",
            json={"name": "routed", "type": "DEFAULT", "transportType": "DEFAULT"},
        )
        assert profile.status_code == 200, profile.text
        device = await client.post(
            "/api/device", json={"name": "routed-1", "deviceProfileId": profile.json()["id"]}
        )
        device_id = device.json()["id"]["id"]
        token = (await client.get(f"/api/device/{device_id}/credentials")).json()["credentialsId"]
        await _post_and_settle(client, node, token, "through_root")
        assert await _stored(client, device_id, "through_root")  # the root chain stores
        empty = await client.post("/api/ruleChain", json={"name": "swallows everything"})
        assert empty.status_code == 200, empty.text
        routed = {**profile.json(), "defaultRuleChainId": empty.json()["id"]}
        saved = await client.post("/api/deviceProfile", json=routed)
        assert saved.status_code == 200, saved.text
        await _post_and_settle(client, node, token, "through_profile_chain")
        assert not await _stored(client, device_id, "through_profile_chain")
        back = await client.post(
            "/api/deviceProfile", json={**saved.json(), "defaultRuleChainId": None}
        )
        assert back.status_code == 200, back.text
        await _post_and_settle(client, node, token, "through_root_again")
        assert await _stored(client, device_id, "through_root_again")
