"""Loading a device's alarm-rule state reads only what its rules can use."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.alarms.rules.definition import parse_alarms
from industryos.alarms.rules.loader import AlarmRuleServices
from industryos.telemetry.kv import AttributeScope, DataType, KvEntry, TsKvEntry
from tests.alarms.rules.test_evaluator import definition, greater, rule
from tests.support.core import CoreWithTenant, core_with_tenant

Json = dict[str, Any]


@pytest.fixture
async def base(engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[CoreWithTenant]:
    base = await core_with_tenant(engine, tmp_path)
    yield base
    await base.close()


async def _device_with(base: CoreWithTenant, alarm: Json) -> uuid.UUID:
    """A device whose profile has ``alarm``, with a server attribute and a latest value."""
    core, admin = base.core, base.admin
    device = await base.device_with_alarms([alarm])
    await core.telemetry.save_attributes(
        admin.tenant_id,
        device,
        AttributeScope.SERVER_SCOPE,
        [KvEntry("limit", 5, DataType.LONG)],
    )
    await core.telemetry.save_timeseries(
        admin.tenant_id, device, [TsKvEntry(1000, "t", 42, DataType.LONG)]
    )
    return device


async def _snapshot_attributes(base: CoreWithTenant, alarm: Json) -> dict[str, Any]:
    device = await _device_with(base, alarm)
    core = base.core
    services = AlarmRuleServices(core.db, core.alarms.service, core.telemetry)
    rules = await services.load(base.admin.tenant_id, device)
    assert rules is not None
    assert rules.snapshot.timeseries == {"t": 42}  # the rule's key, always loaded
    return rules.snapshot.attributes["SERVER_SCOPE"]


async def test_rules_on_time_series_only_do_not_load_attributes(base: CoreWithTenant) -> None:
    assert await _snapshot_attributes(base, definition({"MAJOR": rule([greater("t", 30)])})) == {}


@pytest.mark.parametrize(
    "alarm",
    [
        definition(
            {
                "MAJOR": rule(
                    [greater("t", 30, {"sourceType": "CURRENT_DEVICE", "sourceAttribute": "limit"})]
                )
            }
        ),
        definition({"MAJOR": {**rule([greater("t", 30)]), "alarmDetails": "t is ${t}"}}),
        definition(
            {
                "MAJOR": rule(
                    [
                        {
                            "key": {"type": "SERVER_ATTRIBUTE", "key": "limit"},
                            "valueType": "NUMERIC",
                            "predicate": {
                                "type": "NUMERIC",
                                "operation": "GREATER",
                                "value": {"defaultValue": 1},
                            },
                        },
                        greater("t", 30),
                    ]
                )
            }
        ),
    ],
    ids=["dynamic-threshold", "details", "attribute-filter"],
)
async def test_rules_that_may_read_attributes_load_them(base: CoreWithTenant, alarm: Json) -> None:
    assert await _snapshot_attributes(base, alarm) == {"limit": 5}


def test_a_clear_rule_that_reads_attributes_counts() -> None:
    dynamic = {"sourceType": "CURRENT_TENANT", "sourceAttribute": "limit"}
    [parsed] = parse_alarms(
        {
            "alarms": [
                definition({"MAJOR": rule([greater("t", 30)])}, rule([greater("t", 1, dynamic)]))
            ]
        }
    )
    assert parsed.reads_attributes
    [plain] = parse_alarms({"alarms": [definition({"MAJOR": rule([greater("t", 30)])})]})
    assert not plain.reads_attributes


async def test_many_devices_load_as_each_one_alone(base: CoreWithTenant) -> None:
    """``load_many`` gives every device what ``load`` gives it alone: latest values of its
    rule keys only, attributes only where rules may read them, owners' attributes, the
    active alarm; ids that are no device of the tenant are left out."""
    core, admin = base.core, base.admin
    tenant_id = admin.tenant_id
    dynamic = {"sourceType": "CURRENT_TENANT", "sourceAttribute": "limit"}
    plain = await _device_with(base, definition({"MAJOR": rule([greater("t", 30)])}))
    reading = await _device_with(base, definition({"MAJOR": rule([greater("t", 30, dynamic)])}))
    await core.telemetry.save_attributes(
        tenant_id, tenant_id, AttributeScope.SERVER_SCOPE, [KvEntry("limit", 7, DataType.LONG)]
    )
    await core.telemetry.save_timeseries(
        tenant_id,
        plain,
        [TsKvEntry(2000, "u", 1, DataType.LONG)],  # no rule reads "u"
    )
    alarmed = await _device_with(base, definition({"MAJOR": rule([greater("t", 30)])}))
    services = AlarmRuleServices(core.db, core.alarms.service, core.telemetry)
    rules = await services.load(tenant_id, alarmed)
    assert rules is not None
    [event] = await rules.evaluate(core.alarms.service, {"t"}, 3000)  # t = 42 > 30: raised
    no_rules = await base.device_with_alarms([])
    devices = [plain, reading, alarmed, no_rules]

    found = await services.load_many(tenant_id, [*devices, uuid.uuid4(), tenant_id])
    assert set(found) == set(devices)
    for device in devices:
        assert found[device] == await services.load(tenant_id, device)
    assert found[plain].snapshot.timeseries == {"t": 42}
    assert found[plain].snapshot.attributes["SERVER_SCOPE"] == {}
    assert found[reading].snapshot.attributes["SERVER_SCOPE"] == {"limit": 5}
    assert found[reading].snapshot.tenant_attributes == {"limit": 7}
    assert [d.current for d in found[alarmed].definitions] == [event.alarm]
    assert [d.current for d in found[plain].definitions] == [None]
    assert found[no_rules].definitions == []
    assert await services.load_many(uuid.uuid4(), devices) == {}
