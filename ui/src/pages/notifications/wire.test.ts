import { describe, expect, it } from 'vitest';
import { ruleToForm, ruleToWire, targetToForm, targetToWire, templateToForm, templateToWire } from './wire';

describe('notification targets', () => {
  it('writes a customer-users target and reads it back', () => {
    const form = { ...targetToForm(null), name: ' Ops ', usersFilter: 'CUSTOMER_USERS' as const, customerId: 'c1' };
    const wire = targetToWire(form, null);
    expect(wire).toEqual({ name: 'Ops', configuration: { type: 'PLATFORM_USERS', description: null, usersFilter: { type: 'CUSTOMER_USERS', customerId: 'c1' } } });
    expect(targetToForm(wire)).toMatchObject({ name: 'Ops', usersFilter: 'CUSTOMER_USERS', customerId: 'c1' });
  });

  it('keeps the id and webhook headers of a stored target', () => {
    const stored = { id: { entityType: 'NOTIFICATION_TARGET', id: 't1' }, name: 'Hook', configuration: { type: 'WEBHOOK', url: 'http://a', headers: { k: 'v' } } };
    const wire = targetToWire({ ...targetToForm(stored), url: 'https://b' }, stored);
    expect(wire.id).toEqual(stored.id);
    expect(wire.configuration).toEqual({ type: 'WEBHOOK', description: null, url: 'https://b', headers: { k: 'v' } });
  });
});

describe('notification templates', () => {
  it('writes enabled methods with subjects only where they have one', () => {
    const form = templateToForm(null);
    expect(form.methods.WEB.enabled).toBe(true);
    form.name = 'Alarm';
    form.notificationType = 'ALARM';
    form.methods.WEB = { enabled: true, subject: 'Alarm ${alarmType}', body: '${alarmOriginatorName}' };
    form.methods.SMS = { enabled: true, subject: 'ignored', body: 'sms ${alarmType}' };
    const wire = templateToWire(form, null);
    expect(wire.configuration).toEqual({
      deliveryMethodsTemplates: {
        WEB: { method: 'WEB', enabled: true, subject: 'Alarm ${alarmType}', body: '${alarmOriginatorName}' },
        SMS: { method: 'SMS', enabled: true, body: 'sms ${alarmType}' },
      },
    });
    const back = templateToForm(wire);
    expect(back.methods.SMS.enabled).toBe(true);
    expect(back.methods.EMAIL.enabled).toBe(false);
    expect(back.notificationType).toBe('ALARM');
  });
});

describe('notification rules', () => {
  it('writes an alarm rule with an escalation table', () => {
    const form = { ...ruleToForm(null), name: 'Alarms', templateId: 'tpl', targets: ['t1', 't2'], alarmTypes: ['Leak'] };
    const wire = ruleToWire(form, null);
    expect(wire).toMatchObject({
      name: 'Alarms',
      enabled: true,
      triggerType: 'ALARM',
      templateId: { entityType: 'NOTIFICATION_TEMPLATE', id: 'tpl' },
      triggerConfig: { triggerType: 'ALARM', alarmTypes: ['Leak'], alarmSeverities: null, notifyOn: ['CREATED'] },
      recipientsConfig: { triggerType: 'ALARM', escalationTable: { '0': ['t1', 't2'] } },
    });
    expect(ruleToForm(wire)).toMatchObject({ targets: ['t1', 't2'], alarmTypes: ['Leak'], alarmNotifyOn: ['CREATED'] });
  });

  it('writes entity-action and device-activity rules with plain targets', () => {
    const entity = ruleToWire({ ...ruleToForm(null), name: 'E', triggerType: 'ENTITY_ACTION', templateId: 'x', targets: ['t'], entityTypes: ['DEVICE'], deleted: true }, null);
    expect(entity.triggerConfig).toEqual({ triggerType: 'ENTITY_ACTION', entityTypes: ['DEVICE'], created: true, updated: false, deleted: true });
    expect(entity.recipientsConfig).toEqual({ triggerType: 'ENTITY_ACTION', targets: ['t'] });
    const activity = ruleToWire({ ...ruleToForm(null), name: 'A', triggerType: 'DEVICE_ACTIVITY', templateId: 'x', targets: ['t'] }, null);
    expect(activity.triggerConfig).toMatchObject({ notifyOn: ['INACTIVE'] });
    expect(ruleToForm(activity)).toMatchObject({ triggerType: 'DEVICE_ACTIVITY', activityNotifyOn: ['INACTIVE'], targets: ['t'] });
  });
});
