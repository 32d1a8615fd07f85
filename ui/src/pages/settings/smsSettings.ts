/**
 * SMS provider settings (`/api/admin/settings/sms`), shaped as ThingsBoard's
 * SmsProviderConfiguration, and the test send (`/api/admin/settings/testSms`). Secrets
 * (`secretAccessKey`, `accountToken`, `password`) are write-only: never read back, and an
 * empty one on save keeps the stored value.
 */

import { api } from '../../api/instance';

export const SMS_PROVIDERS = ['AWS_SNS', 'TWILIO', 'SMPP'] as const;
export type SmsProvider = (typeof SMS_PROVIDERS)[number];

export interface SmsField {
  key: string;
  label: string;
  secret?: boolean;
  number?: boolean;
  required?: boolean;
  /** Choices of a select field. */
  options?: readonly string[];
}

/** Each provider's fields, as ThingsBoard names them. */
export const SMS_FIELDS: Record<SmsProvider, SmsField[]> = {
  AWS_SNS: [
    { key: 'accessKeyId', label: 'AWS access key ID', required: true },
    { key: 'secretAccessKey', label: 'AWS secret access key', secret: true, required: true },
    { key: 'region', label: 'AWS region', required: true },
  ],
  TWILIO: [
    { key: 'numberFrom', label: 'Phone number from', required: true },
    { key: 'accountSid', label: 'Twilio account SID', required: true },
    { key: 'accountToken', label: 'Twilio account token', secret: true, required: true },
  ],
  SMPP: [
    { key: 'protocolVersion', label: 'SMPP version', options: ['3.3', '3.4'], required: true },
    { key: 'host', label: 'SMPP host', required: true },
    { key: 'port', label: 'SMPP port', number: true, required: true },
    { key: 'systemId', label: 'System ID', required: true },
    { key: 'password', label: 'Password', secret: true, required: true },
    { key: 'systemType', label: 'System type' },
    { key: 'bindType', label: 'Bind type', options: ['TX', 'RX', 'TRX'] },
    { key: 'serviceType', label: 'Service type' },
    { key: 'sourceAddress', label: 'Source address' },
    { key: 'destinationTon', label: 'Destination TON', number: true },
    { key: 'destinationNpi', label: 'Destination NPI', number: true },
    { key: 'codingScheme', label: 'Coding scheme', number: true },
  ],
};

export const PROVIDER_LABEL: Record<SmsProvider, string> = { AWS_SNS: 'Amazon SNS', TWILIO: 'Twilio', SMPP: 'SMPP' };

export type SmsSettings = { type?: string } & Record<string, unknown>;

export type SmsForm = { type: SmsProvider; values: Record<string, string> };

const isProvider = (t: unknown): t is SmsProvider => typeof t === 'string' && (SMS_PROVIDERS as readonly string[]).includes(t);

/** The form of stored settings (secrets blank; the server keeps them). */
export function toSmsForm(stored: SmsSettings): SmsForm {
  const type = isProvider(stored.type) ? stored.type : 'TWILIO';
  const values: Record<string, string> = {};
  for (const field of SMS_FIELDS[type]) {
    const value = stored[field.key];
    values[field.key] = field.secret || value === undefined || value === null ? '' : String(value);
  }
  return { type, values };
}

/**
 * The settings a form saves: the provider's fields only, numbers as numbers, empty optional
 * fields and empty secrets left out (an empty secret keeps the stored one). Other keys of
 * the stored settings of the same provider (say a Twilio `baseUrl`) are kept.
 */
export function fromSmsForm(form: SmsForm, stored: SmsSettings): SmsSettings {
  const base: SmsSettings = stored.type === form.type ? { ...stored } : {};
  const body: SmsSettings = { ...base, type: form.type };
  for (const field of SMS_FIELDS[form.type]) {
    const text = (form.values[field.key] ?? '').trim();
    if (!text) {
      delete body[field.key];
      continue;
    }
    body[field.key] = field.number ? Number(text) : text;
  }
  return body;
}

/** Required fields still empty; a secret the server already holds counts as filled. */
export function missingFields(form: SmsForm, stored: SmsSettings): string[] {
  const sameProvider = stored.type === form.type;
  return SMS_FIELDS[form.type]
    .filter((f) => f.required && !(form.values[f.key] ?? '').trim() && !(f.secret && sameProvider))
    .map((f) => f.label);
}

interface AdminSettings<T> {
  key: string;
  jsonValue: T;
}

export async function smsSettings(): Promise<SmsSettings> {
  const found = await api.get<AdminSettings<SmsSettings>>('/api/admin/settings/sms');
  return found.jsonValue ?? {};
}

export async function saveSmsSettings(value: SmsSettings): Promise<SmsSettings> {
  const saved = await api.post<AdminSettings<SmsSettings>>('/api/admin/settings', { key: 'sms', jsonValue: value });
  return saved.jsonValue;
}

/** Sends `message` to `numberTo` with `providerConfiguration` (stored secrets when left out). */
export async function sendTestSms(providerConfiguration: SmsSettings, numberTo: string, message: string): Promise<void> {
  await api.post<unknown>('/api/admin/settings/testSms', { providerConfiguration, numberTo, message });
}
