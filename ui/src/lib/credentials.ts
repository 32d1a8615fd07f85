/** Building device credentials bodies (spec §2.1) from what the user typed. */

import type { CredentialsType, DeviceCredentials } from '../api/types';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A new access token: 20 random alphanumerics, like the server's. */
export function generateToken(random: (n: number) => Uint8Array = randomBytes, length = 20): string {
  // 256 is not a multiple of 62: draw again on the tail bytes so every letter is equally likely.
  const limit = 256 - (256 % ALPHABET.length);
  let token = '';
  while (token.length < length) {
    for (const byte of random(length * 2)) {
      if (byte < limit && token.length < length) token += ALPHABET[byte % ALPHABET.length];
    }
  }
  return token;
}

function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

export interface CredentialsForm {
  type: CredentialsType;
  token: string;
  clientId: string;
  userName: string;
  password: string;
  certificate: string;
}

/** The form shown for existing credentials. */
export function formFrom(creds: DeviceCredentials): CredentialsForm {
  const form: CredentialsForm = {
    type: creds.credentialsType === 'LWM2M_CREDENTIALS' ? 'ACCESS_TOKEN' : creds.credentialsType,
    token: '',
    clientId: '',
    userName: '',
    password: '',
    certificate: '',
  };
  if (creds.credentialsType === 'ACCESS_TOKEN') form.token = creds.credentialsId ?? '';
  if (creds.credentialsType === 'X509_CERTIFICATE') form.certificate = creds.credentialsValue ?? '';
  if (creds.credentialsType === 'MQTT_BASIC' && creds.credentialsValue) {
    try {
      const basic = JSON.parse(creds.credentialsValue) as Record<string, string | null>;
      form.clientId = basic.clientId ?? '';
      form.userName = basic.userName ?? '';
      form.password = basic.password ?? '';
    } catch {
      // An unreadable value leaves the fields empty for the user to fill in.
    }
  }
  return form;
}

/** What is wrong with the form, or null when it can be saved. */
export function validate(form: CredentialsForm): string | null {
  switch (form.type) {
    case 'ACCESS_TOKEN':
      return form.token.trim() ? null : 'The access token is empty';
    case 'MQTT_BASIC':
      if (!form.clientId.trim() && !form.userName.trim()) return 'Give a client id or a user name';
      if (form.password && !form.userName.trim()) return 'A password needs a user name';
      return null;
    case 'X509_CERTIFICATE':
      return form.certificate.includes('BEGIN CERTIFICATE') ? null : 'Paste a PEM certificate';
  }
}

/** The body of `POST /api/device/credentials`; the server derives ids it computes. */
export function credentialsBody(current: DeviceCredentials, form: CredentialsForm): DeviceCredentials {
  const body: DeviceCredentials = { ...current, credentialsType: form.type, credentialsId: null, credentialsValue: null };
  if (form.type === 'ACCESS_TOKEN') body.credentialsId = form.token.trim();
  if (form.type === 'X509_CERTIFICATE') body.credentialsValue = form.certificate.trim();
  if (form.type === 'MQTT_BASIC') {
    body.credentialsValue = JSON.stringify({
      clientId: form.clientId.trim() || null,
      userName: form.userName.trim() || null,
      password: form.password || null,
    });
  }
  return body;
}
