/**
 * Device-profile alarm rules (spec §6.1): the wire JSON kept in `profileData.alarms`, and the
 * flat form state the editor works on. `rulesToForm` and `formToRules` are pure, so the
 * round trip is tested without a browser. A filter whose predicate the form cannot show
 * (COMPLEX) is carried through untouched in `raw`; the JSON view of the editor edits it.
 */

import {
  SEVERITY_ORDER,
  KEY_TYPES,
  VALUE_TYPES,
  SPEC_TYPES,
  TIME_UNITS,
  SCHEDULE_TYPES,
  DYNAMIC_SOURCES,
  OPERATIONS,
  type Severity,
  type KeyType,
  type ValueType,
  type SpecType,
  type TimeUnit,
  type ScheduleType,
  type DynamicSource,
  type DynamicValueWire,
  type PredicateValueWire,
  type PredicateWire,
  type KeyFilterWire,
  type SpecWire,
  type ScheduleWire,
  type AlarmRuleWire,
  type AlarmWire,
  type DynamicForm,
  type FilterForm,
  type ScheduleForm,
  type RuleForm,
  type AlarmForm,
} from './alarmRulesModel';

export * from './alarmRulesModel';

// ---- small conversions ----

const DAY_MS = 86_400_000;

/** ms since local midnight → "HH:MM". */
export function msToTime(ms: number): string {
  const minutes = Math.floor((((ms % DAY_MS) + DAY_MS) % DAY_MS) / 60_000);
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** "HH:MM" → ms since local midnight (0 for anything unreadable). */
export function timeToMs(text: string): number {
  const match = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  if (!match) return 0;
  return (Number(match[1]) * 60 + Number(match[2])) * 60_000;
}

function predicateKind(valueType: ValueType): 'NUMERIC' | 'STRING' | 'BOOLEAN' {
  if (valueType === 'STRING') return 'STRING';
  if (valueType === 'BOOLEAN') return 'BOOLEAN';
  return 'NUMERIC';
}

/** The operations a filter of `valueType` offers. */
export const operationsFor = (valueType: ValueType): readonly string[] =>
  OPERATIONS[predicateKind(valueType)];

function typedValue(text: string, valueType: ValueType): unknown {
  const kind = predicateKind(valueType);
  if (kind === 'STRING') return text;
  if (kind === 'BOOLEAN') return text.trim().toLowerCase() === 'true';
  const trimmed = text.trim();
  return trimmed === '' || !Number.isFinite(Number(trimmed)) ? null : Number(trimmed);
}

const textOf = (value: unknown): string => (value === null || value === undefined ? '' : String(value));

function dynamicToForm(value: DynamicValueWire | null | undefined): DynamicForm {
  if (!value || !value.sourceType) return { source: '', attribute: '', inherit: false };
  const source = (DYNAMIC_SOURCES as readonly string[]).includes(value.sourceType)
    ? (value.sourceType as DynamicSource)
    : '';
  return { source, attribute: value.sourceAttribute ?? '', inherit: Boolean(value.inherit) };
}

function dynamicToWire(form: DynamicForm): DynamicValueWire | null {
  if (!form.source || !form.attribute.trim()) return null;
  return { sourceType: form.source, sourceAttribute: form.attribute.trim(), inherit: form.inherit };
}

const NO_DYNAMIC: DynamicForm = { source: '', attribute: '', inherit: false };

// ---- filters ----

export function newFilter(): FilterForm {
  return {
    keyType: 'TIME_SERIES',
    key: '',
    valueType: 'NUMERIC',
    constant: '',
    operation: 'GREATER',
    value: '',
    ignoreCase: false,
    dynamic: { ...NO_DYNAMIC },
    raw: null,
  };
}

function filterToForm(wire: KeyFilterWire): FilterForm {
  const keyType = (KEY_TYPES as readonly string[]).includes(wire.key?.type) ? (wire.key.type as KeyType) : 'TIME_SERIES';
  const valueType = (VALUE_TYPES as readonly string[]).includes(wire.valueType) ? (wire.valueType as ValueType) : 'NUMERIC';
  const predicate = wire.predicate ?? { type: predicateKind(valueType) };
  const simple = predicate.type !== 'COMPLEX';
  return {
    keyType,
    key: wire.key?.key ?? '',
    valueType,
    constant: textOf(wire.value),
    operation: predicate.operation ?? operationsFor(valueType)[0] ?? 'EQUAL',
    value: simple ? textOf(predicate.value?.defaultValue) : '',
    ignoreCase: Boolean(predicate.ignoreCase),
    dynamic: simple ? dynamicToForm(predicate.value?.dynamicValue) : { ...NO_DYNAMIC },
    raw: simple ? null : predicate,
  };
}

function filterToWire(form: FilterForm): KeyFilterWire {
  const kind = predicateKind(form.valueType);
  let predicate: PredicateWire;
  if (form.raw) {
    predicate = form.raw;
  } else {
    predicate = {
      type: kind,
      operation: form.operation,
      value: {
        defaultValue: typedValue(form.value, form.valueType),
        userValue: null,
        dynamicValue: dynamicToWire(form.dynamic),
      },
    };
    if (kind === 'STRING') predicate.ignoreCase = form.ignoreCase;
  }
  return {
    key: { type: form.keyType, key: form.key.trim() },
    valueType: form.valueType,
    value: form.keyType === 'CONSTANT' ? typedValue(form.constant, form.valueType) : null,
    predicate,
  };
}

// ---- schedules ----

export function anyTime(): ScheduleForm {
  return { type: 'ANY_TIME', timezone: defaultZone(), daysOfWeek: [1, 2, 3, 4, 5, 6, 7], startsOn: '00:00', endsOn: '00:00', items: weekItems(), dynamic: null };
}

function defaultZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

function weekItems(): ScheduleForm['items'] {
  return [1, 2, 3, 4, 5, 6, 7].map((dayOfWeek) => ({ enabled: true, dayOfWeek, startsOn: '00:00', endsOn: '00:00' }));
}

function scheduleToForm(wire: ScheduleWire | null | undefined): ScheduleForm {
  const form = anyTime();
  if (!wire || wire.type === 'ANY_TIME' || !(SCHEDULE_TYPES as readonly string[]).includes(wire.type)) return form;
  form.type = wire.type as ScheduleType;
  form.timezone = wire.timezone ?? form.timezone;
  form.dynamic = wire.dynamicValue ?? null;
  if (wire.type === 'SPECIFIC_TIME') {
    form.daysOfWeek = [...(wire.daysOfWeek ?? [])];
    form.startsOn = msToTime(wire.startsOn ?? 0);
    form.endsOn = msToTime(wire.endsOn ?? 0);
  } else {
    const byDay = new Map((wire.items ?? []).map((i) => [i.dayOfWeek, i]));
    form.items = form.items.map((item) => {
      const found = byDay.get(item.dayOfWeek);
      return found
        ? { enabled: found.enabled, dayOfWeek: item.dayOfWeek, startsOn: msToTime(found.startsOn), endsOn: msToTime(found.endsOn) }
        : { ...item, enabled: false };
    });
  }
  return form;
}

function scheduleToWire(form: ScheduleForm): ScheduleWire {
  if (form.type === 'SPECIFIC_TIME') {
    return {
      type: 'SPECIFIC_TIME',
      timezone: form.timezone,
      daysOfWeek: [...form.daysOfWeek].sort((a, b) => a - b),
      startsOn: timeToMs(form.startsOn),
      endsOn: timeToMs(form.endsOn),
      dynamicValue: form.dynamic,
    };
  }
  if (form.type === 'CUSTOM') {
    return {
      type: 'CUSTOM',
      timezone: form.timezone,
      items: form.items.map((i) => ({ enabled: i.enabled, dayOfWeek: i.dayOfWeek, startsOn: timeToMs(i.startsOn), endsOn: timeToMs(i.endsOn) })),
      dynamicValue: form.dynamic,
    };
  }
  return { type: 'ANY_TIME' };
}

// ---- rules ----

export function newRule(): RuleForm {
  return { filters: [newFilter()], spec: 'SIMPLE', unit: 'MINUTES', specValue: '', specDynamic: { ...NO_DYNAMIC }, schedule: anyTime(), details: '', dashboardId: null };
}

function ruleToForm(wire: AlarmRuleWire): RuleForm {
  const spec = wire.condition?.spec ?? { type: 'SIMPLE' };
  const specType = (SPEC_TYPES as readonly string[]).includes(spec.type) ? (spec.type as SpecType) : 'SIMPLE';
  const unit = (TIME_UNITS as readonly string[]).includes(spec.unit ?? '') ? (spec.unit as TimeUnit) : 'MINUTES';
  return {
    filters: (wire.condition?.condition ?? []).map(filterToForm),
    spec: specType,
    unit,
    specValue: textOf(spec.predicate?.defaultValue),
    specDynamic: dynamicToForm(spec.predicate?.dynamicValue),
    schedule: scheduleToForm(wire.schedule),
    details: wire.alarmDetails ?? '',
    dashboardId: wire.dashboardId ?? null,
  };
}

function specToWire(form: RuleForm): SpecWire {
  if (form.spec === 'SIMPLE') return { type: 'SIMPLE' };
  const predicate: PredicateValueWire = {
    defaultValue: typedValue(form.specValue, 'NUMERIC'),
    userValue: null,
    dynamicValue: dynamicToWire(form.specDynamic),
  };
  return form.spec === 'DURATION' ? { type: 'DURATION', unit: form.unit, predicate } : { type: 'REPEATING', predicate };
}

function ruleToWire(form: RuleForm): AlarmRuleWire {
  return {
    condition: { condition: form.filters.map(filterToWire), spec: specToWire(form) },
    schedule: scheduleToWire(form.schedule),
    alarmDetails: form.details.trim() ? form.details : null,
    dashboardId: form.dashboardId ?? null,
  };
}

// ---- alarms ----

export function newAlarm(existing: readonly AlarmForm[]): AlarmForm {
  const taken = new Set(existing.map((a) => a.id));
  let n = existing.length + 1;
  while (taken.has(`alarm-${n}`)) n += 1;
  return {
    id: `alarm-${n}`,
    alarmType: '',
    create: [{ severity: 'CRITICAL', rule: newRule() }],
    clear: null,
    propagate: false,
    propagateToOwner: false,
    propagateToTenant: false,
    relationTypes: [],
  };
}

/** `profileData.alarms` (null or a list) → the editor's state; create rules most severe first. */
export function rulesToForm(alarms: readonly AlarmWire[] | null | undefined): AlarmForm[] {
  return (alarms ?? []).map((wire, index) => ({
    id: wire.id || `alarm-${index + 1}`,
    alarmType: wire.alarmType ?? '',
    create: SEVERITY_ORDER.filter((s) => wire.createRules?.[s]).map((severity) => ({
      severity,
      rule: ruleToForm(wire.createRules[severity]!),
    })),
    clear: wire.clearRule ? ruleToForm(wire.clearRule) : null,
    propagate: Boolean(wire.propagate),
    propagateToOwner: Boolean(wire.propagateToOwner),
    propagateToTenant: Boolean(wire.propagateToTenant),
    relationTypes: [...(wire.propagateRelationTypes ?? [])],
  }));
}

/** The editor's state → `profileData.alarms` (null when there are none, as a new profile has). */
export function formToRules(forms: readonly AlarmForm[]): AlarmWire[] | null {
  if (forms.length === 0) return null;
  return forms.map((form) => {
    const createRules: Partial<Record<Severity, AlarmRuleWire>> = {};
    for (const { severity, rule } of form.create) createRules[severity] = ruleToWire(rule);
    return {
      id: form.id,
      alarmType: form.alarmType.trim(),
      createRules,
      clearRule: form.clear ? ruleToWire(form.clear) : null,
      propagate: form.propagate,
      propagateToOwner: form.propagateToOwner,
      propagateToTenant: form.propagateToTenant,
      propagateRelationTypes: form.relationTypes.length ? [...form.relationTypes] : null,
    };
  });
}

/** What keeps the form from being saved, one line per problem; empty when it is valid. */
export function validateAlarms(forms: readonly AlarmForm[]): string[] {
  const problems: string[] = [];
  const types = new Set<string>();
  forms.forEach((form, index) => {
    const name = form.alarmType.trim() || `Alarm ${index + 1}`;
    if (!form.alarmType.trim()) problems.push(`${name}: alarm type is required`);
    else if (types.has(form.alarmType.trim())) problems.push(`${name}: alarm type is used twice`);
    types.add(form.alarmType.trim());
    if (form.create.length === 0) problems.push(`${name}: add at least one create condition`);
    const severities = form.create.map((c) => c.severity);
    if (new Set(severities).size !== severities.length) problems.push(`${name}: one create condition per severity`);
    const rules = [...form.create.map((c) => [c.severity, c.rule] as const), ...(form.clear ? [['clear', form.clear] as const] : [])];
    for (const [label, rule] of rules) {
      if (rule.filters.length === 0) problems.push(`${name} (${label}): add at least one key filter`);
      rule.filters.forEach((f, i) => {
        if (!f.key.trim() && f.keyType !== 'CONSTANT') problems.push(`${name} (${label}): filter ${i + 1} needs a key`);
        if (!f.raw && predicateKind(f.valueType) === 'NUMERIC' && typedValue(f.value, f.valueType) === null && !dynamicToWire(f.dynamic)) {
          problems.push(`${name} (${label}): filter ${i + 1} needs a number`);
        }
      });
      if (rule.spec !== 'SIMPLE' && typedValue(rule.specValue, 'NUMERIC') === null && !dynamicToWire(rule.specDynamic)) {
        problems.push(`${name} (${label}): ${rule.spec === 'DURATION' ? 'duration' : 'repeat count'} needs a number`);
      }
    }
  });
  return problems;
}
