import { describe, expect, it } from 'vitest';
import {
  formToRules,
  msToTime,
  newAlarm,
  newFilter,
  operationsFor,
  rulesToForm,
  timeToMs,
  validateAlarms,
  type AlarmWire,
} from './alarmRules';

/** The example of spec §6.1, written out in full. */
const SPEC_EXAMPLE: AlarmWire = {
  id: 'highTemp',
  alarmType: 'High Temperature',
  createRules: {
    CRITICAL: {
      condition: {
        condition: [
          {
            key: { type: 'TIME_SERIES', key: 'temperature' },
            valueType: 'NUMERIC',
            value: null,
            predicate: {
              type: 'NUMERIC',
              operation: 'GREATER',
              value: {
                defaultValue: 50,
                userValue: null,
                dynamicValue: { sourceType: 'CURRENT_DEVICE', sourceAttribute: 'tempThreshold', inherit: true },
              },
            },
          },
        ],
        spec: { type: 'DURATION', unit: 'MINUTES', predicate: { defaultValue: 5, userValue: null, dynamicValue: null } },
      },
      schedule: { type: 'ANY_TIME' },
      alarmDetails: 'Temp is ${temperature}',
      dashboardId: null,
    },
    MAJOR: {
      condition: {
        condition: [
          {
            key: { type: 'TIME_SERIES', key: 'temperature' },
            valueType: 'NUMERIC',
            value: null,
            predicate: { type: 'NUMERIC', operation: 'GREATER', value: { defaultValue: 40, userValue: null, dynamicValue: null } },
          },
        ],
        spec: { type: 'SIMPLE' },
      },
      schedule: null,
    },
  },
  clearRule: {
    condition: {
      condition: [
        {
          key: { type: 'TIME_SERIES', key: 'temperature' },
          valueType: 'NUMERIC',
          value: null,
          predicate: { type: 'NUMERIC', operation: 'LESS_OR_EQUAL', value: { defaultValue: 30, userValue: null, dynamicValue: null } },
        },
      ],
      spec: { type: 'REPEATING', predicate: { defaultValue: 3, userValue: null, dynamicValue: null } },
    },
  },
  propagate: false,
  propagateToOwner: false,
  propagateToTenant: false,
  propagateRelationTypes: null,
};

describe('alarm rules: wire to form', () => {
  it('reads the spec example', () => {
    const [form] = rulesToForm([SPEC_EXAMPLE]);
    expect(form?.alarmType).toBe('High Temperature');
    expect(form?.create.map((c) => c.severity)).toEqual(['CRITICAL', 'MAJOR']);
    const critical = form!.create[0]!.rule;
    expect(critical.spec).toBe('DURATION');
    expect(critical.unit).toBe('MINUTES');
    expect(critical.specValue).toBe('5');
    expect(critical.details).toBe('Temp is ${temperature}');
    expect(critical.filters[0]).toMatchObject({
      keyType: 'TIME_SERIES',
      key: 'temperature',
      operation: 'GREATER',
      value: '50',
      dynamic: { source: 'CURRENT_DEVICE', attribute: 'tempThreshold', inherit: true },
    });
    expect(form!.create[1]!.rule.schedule.type).toBe('ANY_TIME');
    expect(form!.clear?.spec).toBe('REPEATING');
    expect(form!.clear?.specValue).toBe('3');
  });

  it('orders create rules from most to least severe whatever the JSON order', () => {
    const wire: AlarmWire = { ...SPEC_EXAMPLE, createRules: { MAJOR: SPEC_EXAMPLE.createRules.MAJOR!, CRITICAL: SPEC_EXAMPLE.createRules.CRITICAL! } };
    expect(rulesToForm([wire])[0]!.create.map((c) => c.severity)).toEqual(['CRITICAL', 'MAJOR']);
  });

  it('reads null and missing alarms as none', () => {
    expect(rulesToForm(null)).toEqual([]);
    expect(rulesToForm(undefined)).toEqual([]);
    expect(formToRules([])).toBeNull();
  });
});

describe('alarm rules: form to wire', () => {
  it('writes the spec example back with every field of §6.1', () => {
    const wire = formToRules(rulesToForm([SPEC_EXAMPLE]))![0]!;
    expect(wire.createRules.CRITICAL).toEqual(SPEC_EXAMPLE.createRules.CRITICAL);
    // A null schedule is written as the explicit ANY_TIME it means.
    expect(wire.createRules.MAJOR).toEqual({ ...SPEC_EXAMPLE.createRules.MAJOR, schedule: { type: 'ANY_TIME' }, alarmDetails: null, dashboardId: null });
    expect(wire.clearRule?.condition).toEqual(SPEC_EXAMPLE.clearRule?.condition);
    expect(wire.propagateRelationTypes).toBeNull();
    expect(Object.keys(wire).sort()).toEqual(Object.keys(SPEC_EXAMPLE).sort());
  });

  it('round-trips what it wrote exactly', () => {
    const once = formToRules(rulesToForm([SPEC_EXAMPLE]));
    const twice = formToRules(rulesToForm(once));
    expect(twice).toEqual(once);
  });

  it('types predicate values by the value type', () => {
    const alarm = newAlarm([]);
    alarm.alarmType = 'Door';
    const rule = alarm.create[0]!.rule;
    rule.filters = [
      { ...newFilter(), keyType: 'ATTRIBUTE', key: 'open', valueType: 'BOOLEAN', operation: 'EQUAL', value: 'true' },
      { ...newFilter(), key: 'mode', valueType: 'STRING', operation: 'CONTAINS', value: 'Auto', ignoreCase: true },
      { ...newFilter(), keyType: 'CONSTANT', key: 'limit', valueType: 'NUMERIC', constant: '7', operation: 'LESS', value: '9' },
    ];
    const [open, mode, constant] = formToRules([alarm])![0]!.createRules.CRITICAL!.condition.condition;
    expect(open?.predicate).toEqual({ type: 'BOOLEAN', operation: 'EQUAL', value: { defaultValue: true, userValue: null, dynamicValue: null } });
    expect(mode?.predicate).toEqual({ type: 'STRING', operation: 'CONTAINS', ignoreCase: true, value: { defaultValue: 'Auto', userValue: null, dynamicValue: null } });
    expect(constant?.value).toBe(7);
    expect(open?.value).toBeNull();
  });

  it('keeps a COMPLEX predicate it cannot edit', () => {
    const complex = {
      type: 'COMPLEX',
      operation: 'OR',
      predicates: [
        { type: 'NUMERIC', operation: 'LESS', value: { defaultValue: 0, userValue: null, dynamicValue: null } },
        { type: 'NUMERIC', operation: 'GREATER', value: { defaultValue: 100, userValue: null, dynamicValue: null } },
      ],
    };
    const wire: AlarmWire = {
      ...SPEC_EXAMPLE,
      createRules: { WARNING: { condition: { condition: [{ key: { type: 'TIME_SERIES', key: 'level' }, valueType: 'NUMERIC', value: null, predicate: complex }], spec: { type: 'SIMPLE' } } } },
      clearRule: null,
    };
    const form = rulesToForm([wire]);
    expect(form[0]!.create[0]!.rule.filters[0]!.raw).toEqual(complex);
    expect(formToRules(form)![0]!.createRules.WARNING!.condition.condition[0]!.predicate).toEqual(complex);
  });

  it('writes schedules with local times in ms since midnight', () => {
    const alarm = newAlarm([]);
    alarm.alarmType = 'Night';
    const schedule = alarm.create[0]!.rule.schedule;
    Object.assign(schedule, { type: 'SPECIFIC_TIME', timezone: 'Europe/Berlin', daysOfWeek: [5, 1], startsOn: '22:00', endsOn: '06:30' });
    expect(formToRules([alarm])![0]!.createRules.CRITICAL!.schedule).toEqual({
      type: 'SPECIFIC_TIME',
      timezone: 'Europe/Berlin',
      daysOfWeek: [1, 5],
      startsOn: 79_200_000,
      endsOn: 23_400_000,
      dynamicValue: null,
    });
    schedule.type = 'CUSTOM';
    schedule.items = schedule.items.map((i) => ({ ...i, enabled: i.dayOfWeek === 3, startsOn: '08:00', endsOn: '00:00' }));
    const custom = formToRules([alarm])![0]!.createRules.CRITICAL!.schedule!;
    expect(custom.items).toHaveLength(7);
    expect(custom.items?.find((i) => i.enabled)).toEqual({ enabled: true, dayOfWeek: 3, startsOn: 28_800_000, endsOn: 0 });
    const back = rulesToForm(formToRules([alarm]))[0]!.create[0]!.rule.schedule;
    expect(back.type).toBe('CUSTOM');
    expect(back.items.find((i) => i.dayOfWeek === 3)).toEqual({ enabled: true, dayOfWeek: 3, startsOn: '08:00', endsOn: '00:00' });
  });

  it('writes propagation flags and relation types', () => {
    const alarm = { ...newAlarm([]), alarmType: 'Leak', propagate: true, propagateToTenant: true, relationTypes: ['Contains'] };
    const wire = formToRules([alarm])![0]!;
    expect(wire).toMatchObject({ propagate: true, propagateToOwner: false, propagateToTenant: true, propagateRelationTypes: ['Contains'] });
  });
});

describe('alarm rules: helpers and validation', () => {
  it('converts times of day', () => {
    expect(msToTime(0)).toBe('00:00');
    expect(msToTime(79_200_000)).toBe('22:00');
    expect(timeToMs('06:30')).toBe(23_400_000);
    expect(timeToMs('nonsense')).toBe(0);
  });

  it('offers the operations of the value type', () => {
    expect(operationsFor('BOOLEAN')).toEqual(['EQUAL', 'NOT_EQUAL']);
    expect(operationsFor('DATE_TIME')).toContain('GREATER_OR_EQUAL');
    expect(operationsFor('STRING')).toContain('NOT_IN');
  });

  it('names what is missing', () => {
    const first = newAlarm([]);
    expect(validateAlarms([first])).toEqual([
      'Alarm 1: alarm type is required',
      'Alarm 1 (CRITICAL): filter 1 needs a key',
      'Alarm 1 (CRITICAL): filter 1 needs a number',
    ]);
    const second = newAlarm([first]);
    expect(second.id).not.toBe(first.id);
    Object.assign(first, { alarmType: 'Hot' });
    Object.assign(second, { alarmType: 'Hot' });
    for (const a of [first, second]) Object.assign(a.create[0]!.rule.filters[0]!, { key: 't', value: '1' });
    expect(validateAlarms([first, second])).toEqual(['Hot: alarm type is used twice']);
    second.alarmType = 'Cold';
    second.create[0]!.rule.spec = 'REPEATING';
    expect(validateAlarms([first, second])).toEqual(['Cold (CRITICAL): repeat count needs a number']);
  });
});
