/**
 * The vocabulary of device-profile alarm rules (spec §6.1, §3.9): wire names, the wire JSON
 * shapes of `profileData.alarms`, and the editor's form state. `alarmRules.ts` converts.
 */

export const SEVERITY_ORDER = ['CRITICAL', 'MAJOR', 'MINOR', 'WARNING', 'INDETERMINATE'] as const;
export type Severity = (typeof SEVERITY_ORDER)[number];

export const KEY_TYPES = ['TIME_SERIES', 'ATTRIBUTE', 'ENTITY_FIELD', 'CONSTANT'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

export const VALUE_TYPES = ['NUMERIC', 'STRING', 'BOOLEAN', 'DATE_TIME'] as const;
export type ValueType = (typeof VALUE_TYPES)[number];

export const SPEC_TYPES = ['SIMPLE', 'DURATION', 'REPEATING'] as const;
export type SpecType = (typeof SPEC_TYPES)[number];

export const TIME_UNITS = ['SECONDS', 'MINUTES', 'HOURS', 'DAYS'] as const;
export type TimeUnit = (typeof TIME_UNITS)[number];

export const SCHEDULE_TYPES = ['ANY_TIME', 'SPECIFIC_TIME', 'CUSTOM'] as const;
export type ScheduleType = (typeof SCHEDULE_TYPES)[number];

export const DYNAMIC_SOURCES = ['CURRENT_DEVICE', 'CURRENT_CUSTOMER', 'CURRENT_TENANT'] as const;
export type DynamicSource = (typeof DYNAMIC_SOURCES)[number];

/** Operations of each simple predicate type (spec §3.9). */
export const OPERATIONS: Record<'NUMERIC' | 'STRING' | 'BOOLEAN', readonly string[]> = {
  NUMERIC: ['EQUAL', 'NOT_EQUAL', 'GREATER', 'LESS', 'GREATER_OR_EQUAL', 'LESS_OR_EQUAL'],
  STRING: ['EQUAL', 'NOT_EQUAL', 'STARTS_WITH', 'ENDS_WITH', 'CONTAINS', 'NOT_CONTAINS', 'IN', 'NOT_IN'],
  BOOLEAN: ['EQUAL', 'NOT_EQUAL'],
};

// ---- wire (spec §6.1) ----

export interface DynamicValueWire {
  sourceType: string;
  sourceAttribute: string;
  inherit?: boolean;
}

export interface PredicateValueWire {
  defaultValue: unknown;
  userValue: unknown;
  dynamicValue: DynamicValueWire | null;
}

export interface PredicateWire {
  type: string;
  operation?: string;
  value?: PredicateValueWire;
  ignoreCase?: boolean;
  predicates?: PredicateWire[];
}

export interface KeyFilterWire {
  key: { type: string; key: string };
  valueType: string;
  value: unknown;
  predicate: PredicateWire;
}

export interface SpecWire {
  type: string;
  unit?: string;
  predicate?: PredicateValueWire;
}

export interface ScheduleItemWire {
  enabled: boolean;
  dayOfWeek: number;
  startsOn: number;
  endsOn: number;
}

export interface ScheduleWire {
  type: string;
  timezone?: string;
  daysOfWeek?: number[];
  startsOn?: number;
  endsOn?: number;
  items?: ScheduleItemWire[];
  dynamicValue?: DynamicValueWire | null;
}

export interface AlarmRuleWire {
  condition: { condition: KeyFilterWire[]; spec: SpecWire };
  schedule?: ScheduleWire | null;
  alarmDetails?: string | null;
  dashboardId?: unknown;
}

export interface AlarmWire {
  id: string;
  alarmType: string;
  createRules: Partial<Record<Severity, AlarmRuleWire>>;
  clearRule?: AlarmRuleWire | null;
  propagate: boolean;
  propagateToOwner: boolean;
  propagateToTenant: boolean;
  propagateRelationTypes: string[] | null;
}

// ---- form ----

export interface DynamicForm {
  source: DynamicSource | '';
  attribute: string;
  inherit: boolean;
}

export interface FilterForm {
  keyType: KeyType;
  key: string;
  valueType: ValueType;
  /** The constant operand of a CONSTANT key, as typed. */
  constant: string;
  operation: string;
  /** The predicate's default value, as typed. */
  value: string;
  ignoreCase: boolean;
  dynamic: DynamicForm;
  /** A predicate the form cannot edit (COMPLEX), kept as it came. */
  raw: PredicateWire | null;
}

export interface ScheduleForm {
  type: ScheduleType;
  timezone: string;
  daysOfWeek: number[];
  /** "HH:MM" local times. */
  startsOn: string;
  endsOn: string;
  items: { enabled: boolean; dayOfWeek: number; startsOn: string; endsOn: string }[];
  dynamic: DynamicValueWire | null;
}

export interface RuleForm {
  filters: FilterForm[];
  spec: SpecType;
  unit: TimeUnit;
  /** Duration or repeat count, as typed. */
  specValue: string;
  specDynamic: DynamicForm;
  schedule: ScheduleForm;
  details: string;
  dashboardId: unknown;
}

export interface AlarmForm {
  id: string;
  alarmType: string;
  create: { severity: Severity; rule: RuleForm }[];
  clear: RuleForm | null;
  propagate: boolean;
  propagateToOwner: boolean;
  propagateToTenant: boolean;
  relationTypes: string[];
}
