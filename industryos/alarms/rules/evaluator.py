"""Per-device alarm rule state and the §6.2 evaluation algorithm.

For each alarm definition: create rules from most to least severe, the first TRUE one wins;
no active alarm → create (``Alarm Created``); same or higher severity → update (``Alarm
Updated`` / ``Alarm Severity Updated``); lower → nothing. With no TRUE create rule and an
active alarm, the clear rule may clear it (``Alarm Cleared``) and reset every counter. A
FALSE rule resets its counters; REPEATING counts consecutive matches; DURATION measures the
time since the first of consecutive matches and fires once it exceeds the required time.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from industryos.alarms.enums import AlarmSeverity
from industryos.alarms.model import Alarm
from industryos.alarms.rules.definition import AlarmDefinition, AlarmRule, SpecType
from industryos.alarms.rules.predicates import matches
from industryos.alarms.rules.schedule import in_schedule
from industryos.alarms.rules.snapshot import Snapshot
from industryos.alarms.service import AlarmService
from industryos.entities.ids import EntityType
from industryos.msg import EntityRef

__all__ = ["ALARM_CLEARED", "ALARM_CREATED", "AlarmEvent", "DeviceRules", "RuleState"]

ALARM_CREATED = "Alarm Created"
ALARM_UPDATED = "Alarm Updated"
ALARM_SEVERITY_UPDATED = "Alarm Severity Updated"
ALARM_CLEARED = "Alarm Cleared"

_PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")


@dataclass(slots=True)
class RuleState:
    """Counters of one rule: consecutive matches and when they started."""

    count: int = 0
    first_ts: int = 0
    last_ts: int = 0

    def reset(self) -> None:
        """A FALSE evaluation starts over."""
        self.count = self.first_ts = self.last_ts = 0

    def persisted(self) -> list[int]:
        """``[count, first_ts, last_ts]``."""
        return [self.count, self.first_ts, self.last_ts]

    def restore(self, raw: Any) -> None:
        """Take back :meth:`persisted`; anything else leaves the counters as they are."""
        if isinstance(raw, list) and len(raw) == 3 and all(type(v) is int for v in raw):
            self.count, self.first_ts, self.last_ts = raw


@dataclass(frozen=True, slots=True)
class AlarmEvent:
    """One alarm output: the relation label, the alarm and the message metadata flags."""

    label: str
    alarm: Alarm
    metadata: dict[str, str]


@dataclass(slots=True)
class _DefinitionState:
    definition: AlarmDefinition
    current: Alarm | None = None
    creates: dict[AlarmSeverity, RuleState] = field(default_factory=dict)
    clear: RuleState = field(default_factory=RuleState)

    def reset(self) -> None:
        for state in self.creates.values():
            state.reset()
        self.clear.reset()


@dataclass(slots=True)
class DeviceRules:
    """One device: its facts, snapshot and the state of each alarm definition."""

    tenant_id: uuid.UUID
    device_id: uuid.UUID
    customer_id: uuid.UUID
    profile_id: uuid.UUID
    snapshot: Snapshot
    definitions: list[_DefinitionState]
    last_metadata: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(
        cls,
        tenant_id: uuid.UUID,
        device_id: uuid.UUID,
        customer_id: uuid.UUID,
        profile_id: uuid.UUID,
        snapshot: Snapshot,
        definitions: list[AlarmDefinition],
        active: dict[str, Alarm],
    ) -> DeviceRules:
        """State for a device with its active alarms by type."""
        states = [
            _DefinitionState(
                d, active.get(d.alarm_type), {s: RuleState() for s, _ in d.create_rules}
            )
            for d in definitions
        ]
        return cls(tenant_id, device_id, customer_id, profile_id, snapshot, states)

    def alarm_changed(self, alarm_id: uuid.UUID, alarm: Alarm | None) -> None:
        """An alarm was acked, cleared or deleted outside this node: follow it."""
        for state in self.definitions:
            if state.current is not None and state.current.id == alarm_id:
                if alarm is None or alarm.cleared:
                    state.current = None
                    state.reset()
                else:
                    state.current = alarm

    def persisted(self) -> Json:
        """Counters and active alarm by definition id, as ``alarm_rule_state`` stores them."""
        return {
            state.definition.id: {
                "creates": {str(s): rs.persisted() for s, rs in state.creates.items()},
                "clear": state.clear.persisted(),
                "alarm": None if state.current is None else str(state.current.id),
            }
            for state in self.definitions
        }

    def restore(self, data: Json) -> None:
        """Take counters back from :meth:`persisted` (after a restart or a reload).

        Definitions are matched by id and severities by name; a stored active alarm that is
        no longer active (cleared while the node was down) resets its counters as a clear
        does. The active alarm itself always comes from the alarm table.
        """
        for state in self.definitions:
            saved = data.get(state.definition.id)
            if not isinstance(saved, dict):
                continue
            if saved.get("alarm") and state.current is None:
                continue  # cleared meanwhile: counters start over
            creates = saved.get("creates")
            for severity, rs in state.creates.items():
                if isinstance(creates, dict):
                    rs.restore(creates.get(str(severity)))
            state.clear.restore(saved.get("clear"))

    async def evaluate(
        self, service: AlarmService, touched: set[str], ts: int, *, timer: bool = False
    ) -> list[AlarmEvent]:
        """Re-evaluate the definitions whose keys ``touched`` names (all on a timer tick)."""
        events: list[AlarmEvent] = []
        for state in self.definitions:
            if timer:
                if not state.definition.has_timers:
                    continue
            elif not (state.definition.keys & touched):
                continue
            event = await self._evaluate(service, state, ts, timer)
            if event is not None:
                events.append(event)
        return events

    def _check(self, rule: AlarmRule, rs: RuleState, ts: int, timer: bool) -> tuple[bool, Json]:
        if not in_schedule(rule.schedule, ts):
            rs.reset()
            return False, {}
        if timer:
            if rule.spec is not SpecType.DURATION or not rs.first_ts:
                return False, {}
        elif not matches(rule.filters, self.snapshot):
            rs.reset()
            return False, {}
        if rule.spec is SpecType.SIMPLE:
            return True, {}
        required = self.snapshot.dynamic(rule.spec_value)
        try:
            required_n = int(float(required))
        except (TypeError, ValueError):
            return False, {}
        if rule.spec is SpecType.REPEATING:
            rs.count += 1
            return rs.count >= required_n, {"alarmConditionRepeats": str(rs.count)}
        if not rs.first_ts:
            rs.first_ts = ts
        rs.last_ts = max(rs.last_ts, ts)
        duration = rs.last_ts - rs.first_ts
        return duration > required_n * rule.unit_ms, {"alarmConditionDuration": str(duration)}

    async def _evaluate(
        self, service: AlarmService, state: _DefinitionState, ts: int, timer: bool
    ) -> AlarmEvent | None:
        definition = state.definition
        for severity, rule in definition.create_rules:
            fired, extra = self._check(rule, state.creates[severity], ts, timer)
            if fired:
                return await self._raise(service, state, severity, rule, ts, extra)
        if state.current is not None and definition.clear_rule is not None:
            fired, extra = self._check(definition.clear_rule, state.clear, ts, timer)
            if fired:
                cleared = await service.clear_alarm(
                    self.tenant_id, state.current.id, ts, self._details(definition.clear_rule)
                )
                state.current = None
                state.reset()
                if cleared is not None:
                    return AlarmEvent(ALARM_CLEARED, cleared, {"isClearedAlarm": "true", **extra})
        return None

    async def _raise(
        self,
        service: AlarmService,
        state: _DefinitionState,
        severity: AlarmSeverity,
        rule: AlarmRule,
        ts: int,
        extra: dict[str, str],
    ) -> AlarmEvent | None:
        current = state.current
        if current is not None and severity.rank > current.severity.rank:
            return None  # lower than the active alarm: no change
        definition = state.definition
        change = await service.raise_alarm(
            Alarm(
                tenant_id=self.tenant_id,
                customer_id=self.customer_id,
                originator=EntityRef(EntityType.DEVICE, self.device_id),
                type=definition.alarm_type,
                severity=severity,
                start_ts=ts,
                end_ts=ts,
                details=self._details(rule),
                propagate=definition.propagate,
                propagate_to_owner=definition.propagate_to_owner,
                propagate_to_tenant=definition.propagate_to_tenant,
                propagate_relation_types=definition.propagate_relation_types,
            )
        )
        state.current = change.alarm
        if change.created:
            return AlarmEvent(ALARM_CREATED, change.alarm, {"isNewAlarm": "true", **extra})
        if change.severity_changed:
            flags = {"isExistingAlarm": "true", "isSeverityUpdated": "true"}
            return AlarmEvent(ALARM_SEVERITY_UPDATED, change.alarm, {**flags, **extra})
        return AlarmEvent(ALARM_UPDATED, change.alarm, {"isExistingAlarm": "true", **extra})

    def _details(self, rule: AlarmRule) -> Json | None:
        if not rule.details:
            return None

        def value(match: re.Match[str]) -> str:
            found = self.snapshot.any_value(match.group(1))
            if found is None:
                return match.group(0)
            if isinstance(found, bool):
                return "true" if found else "false"
            return str(found)

        details: Json = {"data": _PLACEHOLDER.sub(value, rule.details)}
        if rule.dashboard_id:
            details["dashboardId"] = rule.dashboard_id
        return details


Json = dict[str, Any]
