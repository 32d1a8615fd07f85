/** System mail settings (`/api/admin/settings`); the password is write-only. */

import { api } from './instance';

export interface MailSettings {
  mailFrom?: string;
  smtpProtocol?: 'smtp' | 'smtps';
  smtpHost?: string;
  smtpPort?: number | string;
  timeout?: number | string;
  enableTls?: boolean;
  username?: string;
  /** Never returned; left out (or empty) on save keeps the stored one. */
  password?: string;
  [field: string]: unknown;
}

interface AdminSettings<T> {
  key: string;
  jsonValue: T;
}

export async function mailSettings(): Promise<MailSettings> {
  const found = await api.get<AdminSettings<MailSettings>>('/api/admin/settings/mail');
  return found.jsonValue ?? {};
}

export async function saveMailSettings(value: MailSettings): Promise<MailSettings> {
  const saved = await api.post<AdminSettings<MailSettings>>('/api/admin/settings', { key: 'mail', jsonValue: value });
  return saved.jsonValue;
}

/** Mails a test message to the signed-in user with `value` (the stored password when left out). */
export async function sendTestMail(value: MailSettings): Promise<void> {
  await api.post<unknown>('/api/admin/settings/testMail', { key: 'mail', jsonValue: value });
}
