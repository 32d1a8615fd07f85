"""Typed alarm rules parsed once per device profile from ``profileData.alarms`` (§6.1).

Parsing is lenient where ThingsBoard is (missing ``schedule`` = ANY_TIME, missing spec =
SIMPLE) and strict where a wrong value would silently never fire (unknown severity, spec or
unit): such a rule is refused with :class:`AlarmRuleError` naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from industryos.alarms.enums import AlarmSeverity

__all__ = [
    "AlarmDefinition",
    "AlarmRule",
    "AlarmRuleError",
    "KeyFilter",
    "SpecType",
    "parse_alarms",
]

Json = dict[str, Any]


class AlarmRuleError(ValueError):
    """A device profile's alarm rule cannot be evaluated as written."""


class SpecType(StrEnum):
    """How a condition becomes TRUE: at once, after N messages, or after a time."""

    SIMPLE = "SIMPLE"
    DURATION = "DURATION"
    REPEATING = "REPEATING"


UNIT_MS: dict[str, int] = {
    "MILLISECONDS": 1,
    "SECONDS": 1000,
    "MINUTES": 60_000,
    "HOURS": 3_600_000,
    "DAYS": 86_400_000,
}
"""Java TimeUnit names → milliseconds."""


_WITHOUT_ATTRIBUTES = frozenset({"TIME_SERIES", "ENTITY_FIELD", "CONSTANT"})
"""Filter key types whose values come from telemetry, the device row or the rule itself."""


@dataclass(frozen=True, slots=True)
class KeyFilter:
    """One ANDed filter of a condition."""

    key_type: str
    key: str
    value_type: str
    predicate: Json
    constant: Any = None


@dataclass(frozen=True, slots=True)
class AlarmRule:
    """A create rule (one severity) or the clear rule."""

    filters: tuple[KeyFilter, ...]
    spec: SpecType = SpecType.SIMPLE
    spec_value: Json = field(default_factory=dict)
    """The ``predicate`` of DURATION/REPEATING specs (a FilterPredicateValue)."""
    unit_ms: int = 1000
    schedule: Json | None = None
    details: str | None = None
    dashboard_id: str | None = None

    def keys(self) -> set[str]:
        """Every key this rule reads, including dynamic-value source attributes."""
        found = {f.key for f in self.filters if f.key_type != "CONSTANT"}
        for f in self.filters:
            found |= _dynamic_sources(f.predicate)
        found |= _dynamic_sources({"value": self.spec_value})
        return found

    def reads_attributes(self) -> bool:
        """True when evaluating or describing this rule may read an attribute (the device's,
        or its customer's or tenant's through a dynamic value), so they must be loaded."""
        if self.details or any(f.key_type not in _WITHOUT_ATTRIBUTES for f in self.filters):
            return True
        sources = [f.predicate for f in self.filters] + [self.spec_value, self.schedule]
        return bool(_dynamic_sources(sources))


@dataclass(frozen=True, slots=True)
class AlarmDefinition:
    """One entry of ``profileData.alarms``."""

    id: str
    alarm_type: str
    create_rules: tuple[tuple[AlarmSeverity, AlarmRule], ...]
    """Most severe first: the evaluation order."""
    clear_rule: AlarmRule | None = None
    propagate: bool = False
    propagate_to_owner: bool = False
    propagate_to_tenant: bool = False
    propagate_relation_types: tuple[str, ...] = ()
    keys: frozenset[str] = frozenset()
    reads_attributes: bool = True
    """False when no rule reads attributes: loading a device then skips three queries."""

    @property
    def has_timers(self) -> bool:
        """True when a timer must re-check it (DURATION or a schedule)."""
        rules = [r for _, r in self.create_rules] + ([self.clear_rule] if self.clear_rule else [])
        return any(r.spec is SpecType.DURATION for r in rules)


def _dynamic_sources(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        dynamic = node.get("dynamicValue")
        if isinstance(dynamic, dict) and isinstance(dynamic.get("sourceAttribute"), str):
            found.add(dynamic["sourceAttribute"])
        for value in node.values():
            if isinstance(value, dict | list):
                found |= _dynamic_sources(value)
    elif isinstance(node, list):
        for item in node:
            found |= _dynamic_sources(item)
    return found


def _rule(raw: Json, where: str) -> AlarmRule:
    condition = raw.get("condition") or {}
    spec = condition.get("spec") or {"type": "SIMPLE"}
    try:
        spec_type = SpecType(spec.get("type", "SIMPLE"))
    except ValueError:
        raise AlarmRuleError(f"{where}: unknown spec type {spec.get('type')!r}") from None
    unit = spec.get("unit") or "SECONDS"
    if unit not in UNIT_MS:
        raise AlarmRuleError(f"{where}: unknown time unit {unit!r}")
    filters = []
    for item in condition.get("condition") or []:
        key = item.get("key") or {}
        filters.append(
            KeyFilter(
                key_type=str(key.get("type", "TIME_SERIES")),
                key=str(key.get("key", "")),
                value_type=str(item.get("valueType", "NUMERIC")),
                predicate=item.get("predicate") or {},
                constant=item.get("value"),
            )
        )
    schedule = raw.get("schedule")
    return AlarmRule(
        filters=tuple(filters),
        spec=spec_type,
        spec_value=spec.get("predicate") or {},
        unit_ms=UNIT_MS[unit],
        schedule=schedule if isinstance(schedule, dict) else None,
        details=raw.get("alarmDetails"),
        dashboard_id=(raw.get("dashboardId") or {}).get("id")
        if isinstance(raw.get("dashboardId"), dict)
        else raw.get("dashboardId"),
    )


def parse_alarms(profile_data: Json | None) -> list[AlarmDefinition]:
    """The alarm definitions of a device profile's ``profileData``."""
    result = []
    for index, raw in enumerate((profile_data or {}).get("alarms") or []):
        where = f"alarm {raw.get('alarmType') or index}"
        creates = []
        for severity, rule in (raw.get("createRules") or {}).items():
            try:
                sev = AlarmSeverity(severity)
            except ValueError:
                raise AlarmRuleError(f"{where}: unknown severity {severity!r}") from None
            creates.append((sev, _rule(rule, f"{where} {severity}")))
        creates.sort(key=lambda pair: pair[0].rank)
        clear = raw.get("clearRule")
        clear_rule = _rule(clear, f"{where} clear") if isinstance(clear, dict) else None
        keys: set[str] = set()
        rules = [rule for _, rule in creates] + ([clear_rule] if clear_rule else [])
        for rule in rules:
            keys |= rule.keys()
        result.append(
            AlarmDefinition(
                id=str(raw.get("id") or index),
                alarm_type=str(raw.get("alarmType") or ""),
                create_rules=tuple(creates),
                clear_rule=clear_rule,
                propagate=bool(raw.get("propagate")),
                propagate_to_owner=bool(raw.get("propagateToOwner")),
                propagate_to_tenant=bool(raw.get("propagateToTenant")),
                propagate_relation_types=tuple(raw.get("propagateRelationTypes") or ()),
                keys=frozenset(keys),
                reads_attributes=any(rule.reads_attributes() for rule in rules),
            )
        )
    return result
