"""Alarm REST (spec platform-api §3.6, checklist 37 and 38): lifecycle, lists, propagation."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.checks import PAGE, assert_error, create, create_device
from tests.api.conftest import Platform

Json = dict[str, Any]


async def _alarm(client: httpx.AsyncClient, device: Json, **fields: Any) -> Json:
    body = {"originator": device["id"], "type": "High Temperature", "severity": "CRITICAL"}
    return await create(client, "/api/alarm", **{**body, **fields})


async def test_ack_and_clear_lifecycle_with_system_comments(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    device = await create_device(a.admin, "thermo")
    alarm = await _alarm(a.admin, device)
    assert alarm["status"] == "ACTIVE_UNACK"
    assert alarm["name"] == "High Temperature"
    assert alarm["id"]["entityType"] == "ALARM"
    again = await _alarm(a.admin, device, severity="MAJOR")
    assert again["id"] == alarm["id"]  # one active alarm per originator and type
    assert again["severity"] == "MAJOR"
    alarm_id = alarm["id"]["id"]

    acked = (await a.admin.post(f"/api/alarm/{alarm_id}/ack")).json()
    assert acked["status"] == "ACTIVE_ACK"
    assert acked["ackTs"] > 0
    assert acked["originatorName"] == "thermo"
    assert_error(await a.admin.post(f"/api/alarm/{alarm_id}/ack"), 400, 31)
    assert (await a.admin.post(f"/api/alarm/{alarm_id}/ack")).json()["message"] == (
        "Alarm was already acknowledged!"
    )
    cleared = (await a.admin.post(f"/api/alarm/{alarm_id}/clear")).json()
    assert cleared["status"] == "CLEARED_ACK"
    assert cleared["clearTs"] > 0
    second = await a.admin.post(f"/api/alarm/{alarm_id}/clear")
    assert_error(second, 400, 31)
    assert second.json()["message"] == "Alarm was already cleared!"

    comments = (await a.admin.get(f"/api/alarm/{alarm_id}/comment", params=PAGE)).json()
    assert [c["type"] for c in comments["data"]] == ["SYSTEM", "SYSTEM"]
    assert platform.publisher is not None
    types = platform.publisher.types()
    assert "ALARM" in types and "ALARM_ACK" in types and "ALARM_CLEAR" in types

    fresh = await _alarm(a.admin, device)
    assert fresh["id"] != alarm["id"]  # cleared: the next one is a new alarm


async def test_propagation_lists_alarm_under_containing_asset(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    device = await create_device(a.admin, "pump")
    building = await create(a.admin, "/api/asset", name="Building")
    unrelated = await create(a.admin, "/api/asset", name="Elsewhere")
    relation = {"from": building["id"], "to": device["id"], "type": "Contains"}
    assert (await a.admin.post("/api/v2/relation", json=relation)).status_code == 200
    alarm = await _alarm(a.admin, device, propagate=True, severity="MINOR")

    def ids(page: Json) -> list[str]:
        return [x["id"]["id"] for x in page["data"]]

    under = (await a.admin.get(f"/api/alarm/ASSET/{building['id']['id']}", params=PAGE)).json()
    assert ids(under) == [alarm["id"]["id"]]
    other = (await a.admin.get(f"/api/alarm/ASSET/{unrelated['id']['id']}", params=PAGE)).json()
    assert ids(other) == []
    sev = await a.admin.get(f"/api/alarm/highestSeverity/ASSET/{building['id']['id']}")
    assert sev.json() == "MINOR"
    empty = await a.admin.get(f"/api/alarm/highestSeverity/ASSET/{unrelated['id']['id']}")
    assert empty.status_code == 200 and empty.content == b""
    types = (await a.admin.get("/api/alarm/types", params=PAGE)).json()
    assert [t["type"] for t in types["data"]] == ["High Temperature"]


async def test_list_filters_v1_and_v2(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    d1 = await create_device(a.admin, "d1")
    d2 = await create_device(a.admin, "d2")
    first = await _alarm(a.admin, d1, severity="CRITICAL")
    await _alarm(a.admin, d2, type="Low Battery", severity="WARNING")
    await a.admin.post(f"/api/alarm/{first['id']['id']}/clear")

    async def count(path: str, **params: Any) -> int:
        response = await a.admin.get(path, params={**PAGE, **params})
        assert response.status_code == 200, response.text
        return int(response.json()["totalElements"])

    assert await count("/api/alarms") == 2
    assert await count("/api/alarms", searchStatus="ACTIVE") == 1
    assert await count("/api/alarms", status="CLEARED_UNACK") == 1
    assert await count("/api/v2/alarms", severityList="WARNING,MINOR") == 1
    assert await count("/api/v2/alarms", typeList="High Temperature") == 1
    assert await count(f"/api/v2/alarm/DEVICE/{d1['id']['id']}", statusList="CLEARED") == 1
    assert await count(f"/api/v2/alarm/DEVICE/{d1['id']['id']}", statusList="ACTIVE") == 0
    assert_error(await a.admin.get("/api/alarms", params={**PAGE, "searchStatus": "X"}), 400, 31)


async def test_customer_and_tenant_scoping(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    b = await platform.new_tenant("B")
    mine = await create_device(a.admin, "assigned")
    theirs = await create_device(a.admin, "not-assigned")
    await a.admin.post(f"/api/customer/{a.customer_id}/device/{mine['id']['id']}")
    visible = await _alarm(a.admin, mine)
    hidden = await _alarm(a.admin, theirs)
    page = (await a.customer_user.get("/api/alarms", params=PAGE)).json()
    assert [x["id"] for x in page["data"]] == [visible["id"]]
    assert_error(await a.customer_user.get(f"/api/alarm/{hidden['id']['id']}"), 403, 20)
    assert_error(await b.admin.get(f"/api/alarm/{visible['id']['id']}"), 403, 20)
    assert (await b.admin.get("/api/alarms", params=PAGE)).json()["totalElements"] == 0
    assert_error(await b.admin.post(f"/api/alarm/{visible['id']['id']}/ack"), 403, 20)


async def test_assign_comment_and_delete(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    device = await create_device(a.admin, "motor")
    alarm = await _alarm(a.admin, device)
    alarm_id = alarm["id"]["id"]
    me = (await a.admin.get("/api/auth/user")).json()
    assigned = (await a.admin.post(f"/api/alarm/{alarm_id}/assign/{me['id']['id']}")).json()
    assert assigned["assigneeId"]["id"] == me["id"]["id"]
    assert assigned["assignee"]["email"] == me["email"]
    unassigned = (await a.admin.delete(f"/api/alarm/{alarm_id}/assign")).json()
    assert unassigned["assigneeId"] is None
    comment = await create(a.admin, f"/api/alarm/{alarm_id}/comment", comment={"text": "on it"})
    assert comment["type"] == "OTHER"
    listed = (await a.admin.get(f"/api/alarm/{alarm_id}/comment", params=PAGE)).json()
    assert [c["type"] for c in listed["data"]] == ["SYSTEM", "SYSTEM", "OTHER"]
    gone = await a.admin.delete(f"/api/alarm/{alarm_id}/comment/{comment['id']['id']}")
    assert gone.status_code == 200
    deleted = await a.admin.delete(f"/api/alarm/{alarm_id}")
    assert deleted.json() is True
    assert_error(await a.admin.get(f"/api/alarm/{alarm_id}"), 404, 32)
    assert platform.publisher is not None
    assert "ALARM_DELETE" in platform.publisher.types()
