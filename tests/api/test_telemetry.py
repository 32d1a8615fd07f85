"""Telemetry and attribute REST (spec §3.5, checklist 14-18) over the real telemetry service."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from industryos.entities.access import Caller
from industryos.entities.models import Authority
from industryos.entities.paging import PageLink
from tests.api.conftest import Platform

Json = dict[str, Any]
T = "/api/plugins/telemetry"


async def _device(admin: httpx.AsyncClient, name: str = "meter") -> str:
    response = await admin.post("/api/device", json={"name": name})
    assert response.status_code == 200, response.text
    return str(response.json()["id"]["id"])


async def _audited(platform: Platform, tenant_id: str, entity_id: str) -> list[str]:
    caller = Caller(
        uuid.uuid4(), "auditor@test.local", Authority.TENANT_ADMIN, uuid.UUID(tenant_id)
    )
    page = await platform.core.audit.page(
        caller, PageLink(page_size=1000), entity_id=uuid.UUID(entity_id)
    )
    return [entry.action_type.value for entry in page.data]


async def test_save_and_read_latest_strings_and_strict(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    device = await _device(a.admin)
    base = f"{T}/DEVICE/{device}"
    saved = await a.admin.post(f"{base}/timeseries/ANY", json={"ts": 1000, "values": {"t": 1}})
    assert saved.status_code == 200
    assert saved.content == b""
    latest = await a.admin.get(f"{base}/values/timeseries", params={"keys": "t"})
    assert latest.json() == {"t": [{"ts": 1000, "value": "1"}]}
    strict = await a.admin.get(
        f"{base}/values/timeseries", params={"keys": "t", "useStrictDataTypes": "true"}
    )
    assert strict.json() == {"t": [{"ts": 1000, "value": 1}]}
    assert (await a.admin.get(f"{base}/keys/timeseries")).json() == ["t"]


async def test_every_save_body_form_and_ttl_path(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    device = await _device(a.admin)
    base = f"{T}/DEVICE/{device}"
    flat = await a.admin.post(f"{base}/timeseries/ANY", json={"flat": 2.5, "on": True})
    assert flat.status_code == 200
    array = [{"ts": 10, "values": {"arr": "x"}}, {"ts": 20, "values": {"arr": "y", "j": {"a": 1}}}]
    assert (await a.admin.post(f"{base}/timeseries/ANY", json=array)).status_code == 200
    ttl = await a.admin.post(f"{base}/timeseries/ANY/3600", json={"ts": 5, "values": {"ttl": 7}})
    assert ttl.status_code == 200
    latest = (
        await a.admin.get(f"{base}/values/timeseries", params={"useStrictDataTypes": "true"})
    ).json()
    assert latest["flat"][0]["value"] == 2.5
    assert latest["on"][0]["value"] is True
    assert latest["arr"] == [{"ts": 20, "value": "y"}]
    assert latest["j"] == [{"ts": 20, "value": {"a": 1}}]
    assert latest["ttl"] == [{"ts": 5, "value": 7}]
    as_strings = (await a.admin.get(f"{base}/values/timeseries", params={"keys": "on,flat"})).json()
    assert as_strings["on"][0]["value"] == "true"
    assert as_strings["flat"][0]["value"] == "2.5"
    repeated = await a.admin.get(f"{base}/values/timeseries?key=on&key=arr&keys=flat")
    assert set(repeated.json()) == {"on", "arr"}


async def test_history_range_limit_order_and_alias(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    device = await _device(a.admin)
    base = f"{T}/DEVICE/{device}"
    points = [{"ts": ts, "values": {"v": ts // 1000}} for ts in (1000, 2000, 3000, 4000)]
    assert (await a.admin.post(f"{base}/timeseries/ANY", json=points)).status_code == 200
    query: dict[str, str | int] = {"keys": "v", "startTs": 1000, "endTs": 4000}
    history = (await a.admin.get(f"{base}/values/timeseries", params=query)).json()
    assert [p["ts"] for p in history["v"]] == [3000, 2000, 1000]  # [start, end), DESC
    ascending = {**query, "orderBy": "ASC", "limit": 2}
    limited = (await a.admin.get(f"{base}/values/timeseries", params=ascending)).json()
    assert limited == {"v": [{"ts": 1000, "value": "1"}, {"ts": 2000, "value": "2"}]}
    alias = await a.admin.get(f"{base}/values/timeseries/history", params=ascending)
    assert alias.json() == limited
    empty = await a.admin.get(
        f"{base}/values/timeseries", params={**query, "startTs": 5000, "endTs": 6000}
    )
    assert empty.json() == {}


async def test_aggregation_buckets_and_invalid_intervals(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    device = await _device(a.admin)
    base = f"{T}/DEVICE/{device}"
    points = [{"ts": ts, "values": {"p": v}} for ts, v in ((0, 1), (30_000, 3), (130_000, 10))]
    await a.admin.post(f"{base}/timeseries/ANY", json=points)
    avg: dict[str, str | int] = {
        "keys": "p",
        "startTs": 0,
        "endTs": 180_000,
        "agg": "AVG",
        "interval": 60_000,
    }
    result = (await a.admin.get(f"{base}/values/timeseries", params=avg)).json()
    # one point per non-empty bucket, at its midpoint; the empty middle bucket is omitted
    assert len(result["p"]) == 2
    values = {p["ts"]: float(p["value"]) for p in result["p"]}
    assert values == {30_000: 2.0, 150_000: 10.0}
    alias = await a.admin.get(f"{base}/values/timeseries/history", params=avg)
    assert alias.json() == result

    zero = await a.admin.get(f"{base}/values/timeseries", params={**avg, "interval": 0})
    assert zero.status_code == 400
    assert zero.json()["errorCode"] == 31
    too_many = await a.admin.get(
        f"{base}/values/timeseries", params={**avg, "endTs": 10_000_000, "interval": 1000}
    )
    assert too_many.status_code == 400
    bad_agg = await a.admin.get(f"{base}/values/timeseries", params={**avg, "agg": "MEDIAN"})
    assert bad_agg.status_code == 400


async def test_attributes_scopes_paths_and_rules(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    device = await _device(a.admin)
    base = f"{T}/DEVICE/{device}"
    v2 = await a.admin.post(f"{base}/attributes/SERVER_SCOPE", json={"fw": "v1.0", "n": 3})
    assert v2.status_code == 200
    assert v2.content == b""
    v1 = await a.admin.post(f"{base}/SHARED_SCOPE", json={"target": 21.5})
    assert v1.status_code == 200
    shortcut = await a.admin.post(f"{T}/{device}/SHARED_SCOPE", json={"mode": {"auto": True}})
    assert shortcut.status_code == 200

    server = (await a.admin.get(f"{base}/values/attributes/SERVER_SCOPE")).json()
    assert {(x["key"], x["value"]) for x in server} == {("fw", "v1.0"), ("n", 3)}
    assert all(isinstance(x["lastUpdateTs"], int) and x["lastUpdateTs"] > 0 for x in server)
    shared = (
        await a.admin.get(f"{base}/values/attributes/SHARED_SCOPE", params={"keys": "mode"})
    ).json()
    assert [(x["key"], x["value"]) for x in shared] == [("mode", {"auto": True})]
    everything = (await a.admin.get(f"{base}/values/attributes")).json()
    assert {x["key"] for x in everything} == {"fw", "n", "target", "mode"}
    assert sorted((await a.admin.get(f"{base}/keys/attributes")).json()) == [
        "fw",
        "mode",
        "n",
        "target",
    ]
    assert sorted((await a.admin.get(f"{base}/keys/attributes/SHARED_SCOPE")).json()) == [
        "mode",
        "target",
    ]

    for scope in ("CLIENT_SCOPE", "NOT_A_SCOPE"):
        refused = await a.admin.post(f"{base}/attributes/{scope}", json={"x": 1})
        assert refused.status_code == 400
        assert refused.json()["message"] == f"Invalid scope: {scope}"
    assert (await a.admin.post(f"{base}/CLIENT_SCOPE", json={"x": 1})).status_code == 400
    assert (await a.admin.post(f"{base}/attributes/SERVER_SCOPE", json=[1, 2])).status_code == 400
    assert (await a.admin.post(f"{base}/attributes/SERVER_SCOPE", json={" ": 1})).status_code == 400
    assert (await a.admin.post(f"{base}/attributes/SERVER_SCOPE", json={"": 1})).status_code == 400

    assert (await a.admin.delete(f"{base}/SERVER_SCOPE", params={"keys": ""})).status_code == 400
    assert (await a.admin.delete(f"{base}/SERVER_SCOPE")).status_code == 400
    deleted = await a.admin.delete(f"{base}/SERVER_SCOPE", params={"keys": "fw"})
    assert deleted.status_code == 200
    gone = await a.admin.delete(f"{T}/{device}/SHARED_SCOPE", params={"keys": "mode"})
    assert gone.status_code == 200
    remaining = (await a.admin.get(f"{base}/values/attributes")).json()
    assert {x["key"] for x in remaining} == {"n", "target"}


async def test_delete_timeseries_range_and_all(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    device = await _device(a.admin)
    base = f"{T}/DEVICE/{device}"
    points = [{"ts": ts, "values": {"d": ts, "e": ts}} for ts in (100, 200, 300)]
    await a.admin.post(f"{base}/timeseries/ANY", json=points)
    assert (
        await a.admin.delete(f"{base}/timeseries/delete", params={"keys": ""})
    ).status_code == 400
    ranged = await a.admin.delete(
        f"{base}/timeseries/delete",
        params={"keys": "d", "startTs": 250, "endTs": 400, "rewriteLatestIfDeleted": "true"},
    )
    assert ranged.status_code == 200
    latest = (await a.admin.get(f"{base}/values/timeseries", params={"keys": "d"})).json()
    assert latest == {"d": [{"ts": 200, "value": "200"}]}
    wiped = await a.admin.delete(
        f"{base}/timeseries/delete", params={"keys": "e", "deleteAllDataForKeys": "true"}
    )
    assert wiped.status_code == 200
    history = (
        await a.admin.get(
            f"{base}/values/timeseries", params={"keys": "e", "startTs": 0, "endTs": 1000}
        )
    ).json()
    assert history == {}


async def test_writes_are_audited_and_announced(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    device = await _device(a.admin)
    base = f"{T}/DEVICE/{device}"
    assert platform.publisher is not None
    start = len(platform.publisher.messages)
    await a.admin.post(f"{base}/timeseries/ANY", json={"ts": 1000, "values": {"t": 1}})
    await a.admin.post(f"{base}/attributes/SHARED_SCOPE", json={"s": "x"})
    await a.admin.delete(f"{base}/SHARED_SCOPE", params={"keys": "s"})
    await a.admin.delete(
        f"{base}/timeseries/delete", params={"keys": "t", "deleteAllDataForKeys": "true"}
    )
    sent = platform.publisher.messages[start:]
    assert [m.type for m in sent] == [
        "TIMESERIES_UPDATED",
        "ATTRIBUTES_UPDATED",
        "ATTRIBUTES_DELETED",
        "TIMESERIES_DELETED",
    ]
    assert all(str(m.originator.id) == device for m in sent)
    assert sent[0].data == '{"timeseries":[{"ts":1000,"values":{"t":1}}]}'
    assert sent[1].metadata["scope"] == "SHARED_SCOPE"
    assert sent[1].data == '{"s":"x"}'
    assert sent[2].data == '{"attributes":["s"]}'
    audited = await _audited(platform, a.tenant_id, device)
    for action in (
        "TIMESERIES_UPDATED",
        "ATTRIBUTES_UPDATED",
        "ATTRIBUTES_DELETED",
        "TIMESERIES_DELETED",
    ):
        assert action in audited


async def test_customer_user_reaches_own_devices_only(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    own, other = await _device(a.admin, "own"), await _device(a.admin, "other")
    assigned = await a.admin.post(f"/api/customer/{a.customer_id}/device/{own}")
    assert assigned.status_code == 200
    user = a.customer_user
    ok = await user.post(f"{T}/DEVICE/{own}/timeseries/ANY", json={"ts": 1, "values": {"k": 1}})
    assert ok.status_code == 200
    assert (await user.post(f"{T}/DEVICE/{own}/SHARED_SCOPE", json={"s": 1})).status_code == 200
    read = await user.get(f"{T}/DEVICE/{own}/values/timeseries")
    assert read.json() == {"k": [{"ts": 1, "value": "1"}]}
    for method, path, body in (
        ("GET", f"{T}/DEVICE/{other}/values/timeseries", None),
        ("GET", f"{T}/DEVICE/{other}/values/attributes", None),
        ("POST", f"{T}/DEVICE/{other}/timeseries/ANY", {"k": 1}),
        ("POST", f"{T}/DEVICE/{other}/SERVER_SCOPE", {"k": 1}),
    ):
        refused = await user.request(method, path, json=body)
        assert refused.status_code == 403, (method, path)
        assert refused.json()["errorCode"] == 20
    assert (await a.admin.get(f"{T}/DEVICE/{other}/values/timeseries")).json() == {}


async def test_unknown_entity_is_404(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    missing = await a.admin.get(f"{T}/DEVICE/{uuid.uuid4()}/values/timeseries")
    assert missing.status_code == 404
    assert missing.json()["errorCode"] == 32
