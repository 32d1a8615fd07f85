/**
 * Form state ↔ wire JSON of notification targets, templates and rules (spec §7). Each
 * `…ToWire` starts from the stored object, so fields the form does not show survive an edit.
 */

import type { CatalogObject, DeliveryMethod, TriggerType, UsersFilter } from '../../api/notifications';
import { DELIVERY_METHODS } from '../../api/notifications';

type Json = Record<string, unknown>;

const obj = (value: unknown): Json => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {});
const str = (value: unknown): string => (typeof value === 'string' ? value : '');
const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);
const idOf = (value: unknown): string => (typeof value === 'string' ? value : str(obj(value).id));

// ---- targets ----

export type TargetType = 'PLATFORM_USERS' | 'SLACK' | 'WEBHOOK';

export interface TargetForm {
  name: string;
  description: string;
  type: TargetType;
  usersFilter: UsersFilter;
  customerId: string;
  userIds: string[];
  slackChannel: string;
  slackWebhook: string;
  url: string;
}

export function targetToForm(target: CatalogObject | null): TargetForm {
  const config = obj(target?.configuration);
  const users = obj(config.usersFilter);
  const type = (['PLATFORM_USERS', 'SLACK', 'WEBHOOK'].includes(str(config.type)) ? config.type : 'PLATFORM_USERS') as TargetType;
  return {
    name: target?.name ?? '',
    description: str(config.description),
    type,
    usersFilter: (str(users.type) || 'ALL_USERS') as UsersFilter,
    customerId: idOf(users.customerId),
    userIds: strings(users.usersIds).map(idOf),
    slackChannel: str(obj(config.conversation).name),
    slackWebhook: str(config.webhookUrl),
    url: str(config.url),
  };
}

export function targetToWire(form: TargetForm, stored: CatalogObject | null): CatalogObject {
  let configuration: Json = { type: form.type, description: form.description.trim() || null };
  if (form.type === 'PLATFORM_USERS') {
    const usersFilter: Json = { type: form.usersFilter };
    if (form.usersFilter === 'CUSTOMER_USERS') usersFilter.customerId = form.customerId;
    if (form.usersFilter === 'USER_LIST') usersFilter.usersIds = form.userIds;
    configuration = { ...configuration, usersFilter };
  } else if (form.type === 'SLACK') {
    configuration = {
      ...configuration,
      conversationType: 'PUBLIC_CHANNEL',
      conversation: form.slackChannel.trim() ? { name: form.slackChannel.trim() } : null,
      webhookUrl: form.slackWebhook.trim() || null,
    };
  } else {
    configuration = { ...configuration, url: form.url.trim(), headers: obj(obj(stored?.configuration).headers) };
  }
  return { ...(stored ?? {}), name: form.name.trim(), configuration };
}

// ---- templates ----

export interface MethodForm {
  enabled: boolean;
  subject: string;
  body: string;
}

export interface TemplateForm {
  name: string;
  notificationType: string;
  methods: Record<DeliveryMethod, MethodForm>;
}

export function templateToForm(template: CatalogObject | null): TemplateForm {
  const stored = obj(obj(template?.configuration).deliveryMethodsTemplates);
  const methods = {} as Record<DeliveryMethod, MethodForm>;
  for (const method of DELIVERY_METHODS) {
    const m = obj(stored[method]);
    methods[method] = {
      enabled: template ? stored[method] !== undefined && m.enabled !== false : method === 'WEB',
      subject: str(m.subject),
      body: str(m.body),
    };
  }
  return { name: template?.name ?? '', notificationType: str(template?.notificationType) || 'GENERAL', methods };
}

export function templateToWire(form: TemplateForm, stored: CatalogObject | null): CatalogObject {
  const old = obj(obj(stored?.configuration).deliveryMethodsTemplates);
  const deliveryMethodsTemplates: Json = {};
  for (const method of DELIVERY_METHODS) {
    const m = form.methods[method];
    if (!m.enabled && old[method] === undefined) continue;
    const entry: Json = { ...obj(old[method]), method, enabled: m.enabled, body: m.body };
    if (method === 'WEB' || method === 'EMAIL') entry.subject = m.subject;
    deliveryMethodsTemplates[method] = entry;
  }
  return {
    ...(stored ?? {}),
    name: form.name.trim(),
    notificationType: form.notificationType,
    configuration: { ...obj(stored?.configuration), deliveryMethodsTemplates },
  };
}

// ---- rules ----

export interface RuleForm {
  name: string;
  enabled: boolean;
  triggerType: TriggerType;
  templateId: string;
  targets: string[];
  /** ALARM */
  alarmTypes: string[];
  alarmSeverities: string[];
  alarmNotifyOn: string[];
  /** DEVICE_ACTIVITY */
  activityNotifyOn: string[];
  /** ENTITY_ACTION */
  entityTypes: string[];
  created: boolean;
  updated: boolean;
  deleted: boolean;
}

export function ruleToForm(rule: CatalogObject | null): RuleForm {
  const trigger = obj(rule?.triggerConfig);
  const recipients = obj(rule?.recipientsConfig);
  const table = obj(recipients.escalationTable);
  const targets = recipients.escalationTable ? strings(table['0']) : strings(recipients.targets);
  const triggerType = (['ALARM', 'DEVICE_ACTIVITY', 'ENTITY_ACTION'].includes(str(rule?.triggerType)) ? rule!.triggerType : 'ALARM') as TriggerType;
  return {
    name: rule?.name ?? '',
    enabled: rule ? rule.enabled !== false : true,
    triggerType,
    templateId: idOf(rule?.templateId),
    targets: targets.map(idOf),
    alarmTypes: strings(trigger.alarmTypes),
    alarmSeverities: strings(trigger.alarmSeverities),
    alarmNotifyOn: rule && triggerType === 'ALARM' ? strings(trigger.notifyOn) : ['CREATED'],
    activityNotifyOn: rule && triggerType === 'DEVICE_ACTIVITY' ? strings(trigger.notifyOn) : ['INACTIVE'],
    entityTypes: strings(trigger.entityTypes),
    created: Boolean(trigger.created ?? !rule),
    updated: Boolean(trigger.updated),
    deleted: Boolean(trigger.deleted),
  };
}

export function ruleToWire(form: RuleForm, stored: CatalogObject | null): CatalogObject {
  const triggerType = form.triggerType;
  let triggerConfig: Json = { triggerType };
  let recipientsConfig: Json = { triggerType, targets: form.targets };
  if (triggerType === 'ALARM') {
    triggerConfig = {
      ...triggerConfig,
      alarmTypes: form.alarmTypes.length ? form.alarmTypes : null,
      alarmSeverities: form.alarmSeverities.length ? form.alarmSeverities : null,
      notifyOn: form.alarmNotifyOn,
    };
    recipientsConfig = { triggerType, escalationTable: { '0': form.targets } };
  } else if (triggerType === 'DEVICE_ACTIVITY') {
    triggerConfig = { ...triggerConfig, devices: null, deviceProfiles: null, notifyOn: form.activityNotifyOn };
  } else {
    triggerConfig = {
      ...triggerConfig,
      entityTypes: form.entityTypes,
      created: form.created,
      updated: form.updated,
      deleted: form.deleted,
    };
  }
  return {
    ...(stored ?? {}),
    name: form.name.trim(),
    enabled: form.enabled,
    templateId: { entityType: 'NOTIFICATION_TEMPLATE', id: form.templateId },
    triggerType,
    triggerConfig,
    recipientsConfig,
  };
}
