"""Entity aliases of the dashboard builder, resolved as the UI resolves them.

The UI sends each alias filter (as its alias manager writes it) to ``/api/entitiesQuery/find``
with the body of ``ui/src/dashboards/datasource.ts`` ``entityQueryBody``; these are those
bodies, on both engines, for a tenant admin and for a customer user (who sees only its own).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from industryos.api.routes import entity_query
from industryos.entities.query import EntityQueryService
from tests.api.conftest import Platform

Json = dict[str, Any]


def _body(entity_filter: Json) -> Json:
    """What ``entityQueryBody`` sends: names sorted by name, one page."""
    return {
        "entityFilter": entity_filter,
        "pageLink": {
            "page": 0,
            "pageSize": 1000,
            "sortOrder": {"key": {"type": "ENTITY_FIELD", "key": "name"}, "direction": "ASC"},
        },
        "entityFields": [{"type": "ENTITY_FIELD", "key": "name"}],
    }


async def _names(client: httpx.AsyncClient, entity_filter: Json) -> list[str]:
    response = await client.post("/api/entitiesQuery/find", json=_body(entity_filter))
    assert response.status_code == 200, response.text
    return [e["latest"]["ENTITY_FIELD"]["name"]["value"] for e in response.json()["data"]]


async def _create(client: httpx.AsyncClient, path: str, body: Json) -> str:
    response = await client.post(path, json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["id"]["id"])


@pytest.fixture
def queries(platform: Platform) -> Platform:
    entity_query.install(
        platform.app, EntityQueryService(platform.core.db, platform.core.timeseries.keys)
    )
    return platform


async def test_every_alias_filter_of_the_manager_resolves(queries: Platform) -> None:
    a = await queries.new_tenant("A")
    b = await queries.new_tenant("B")
    await _create(b.admin, "/api/device", {"name": "Pump B-side", "type": "pump"})
    pump1 = await _create(a.admin, "/api/device", {"name": "Pump 1", "type": "pump"})
    pump2 = await _create(a.admin, "/api/device", {"name": "pump 2", "type": "pump"})
    meter = await _create(a.admin, "/api/device", {"name": "Meter", "type": "meter"})
    site = await _create(a.admin, "/api/asset", {"name": "Site North", "type": "site"})
    await _create(a.admin, "/api/asset", {"name": "Hall", "type": "hall"})
    for device in (pump1, meter):
        relation = {
            "from": {"entityType": "ASSET", "id": site},
            "to": {"entityType": "DEVICE", "id": device},
            "type": "Contains",
        }
        assert (await a.admin.post("/api/relation", json=relation)).status_code == 200

    cases: list[tuple[Json, list[str]]] = [
        (
            {"type": "entityName", "entityType": "DEVICE", "entityNameFilter": "pump"},
            ["Pump 1", "pump 2"],
        ),
        (
            {"type": "entityName", "entityType": "DEVICE", "entityNameFilter": ""},
            ["Meter", "Pump 1", "pump 2"],
        ),
        ({"type": "entityType", "entityType": "ASSET"}, ["Hall", "Site North"]),
        (
            {"type": "deviceType", "deviceTypes": ["pump", "meter"], "deviceNameFilter": "M"},
            ["Meter"],
        ),
        ({"type": "assetType", "assetTypes": ["site"], "assetNameFilter": ""}, ["Site North"]),
        (
            {"type": "entityList", "entityType": "DEVICE", "entityList": [pump2, meter]},
            ["Meter", "pump 2"],
        ),
        (
            {
                "type": "relationsQuery",
                "rootStateEntity": False,
                "stateEntityParamName": None,
                "rootEntity": {"entityType": "ASSET", "id": site},
                "direction": "FROM",
                "maxLevel": 1,
                "fetchLastLevelOnly": False,
                "filters": [{"relationType": "Contains", "entityTypes": ["DEVICE"]}],
            },
            ["Meter", "Pump 1"],
        ),
    ]
    for entity_filter, expected in cases:
        assert await _names(a.admin, entity_filter) == expected, entity_filter

    # A customer user resolves the same aliases to its own entities only.
    assert (await a.admin.post(f"/api/customer/{a.customer_id}/device/{pump2}")).status_code == 200
    assert await _names(a.customer_user, cases[0][0]) == ["pump 2"]
    by_type = {"type": "deviceType", "deviceTypes": ["pump", "meter"], "deviceNameFilter": ""}
    assert await _names(a.admin, by_type) == ["Meter", "Pump 1", "pump 2"]
    assert await _names(a.customer_user, by_type) == ["pump 2"]
    assert await _names(a.customer_user, cases[6][0]) == []
