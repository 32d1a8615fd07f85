import { describe, expect, it } from 'vitest';
import { fromSmsForm, missingFields, toSmsForm } from './smsSettings';

describe('SMS settings form', () => {
  it('never fills a secret and defaults to Twilio', () => {
    const form = toSmsForm({ type: 'AWS_SNS', accessKeyId: 'AK', region: 'eu-west-1' });
    expect(form).toEqual({ type: 'AWS_SNS', values: { accessKeyId: 'AK', secretAccessKey: '', region: 'eu-west-1' } });
    expect(toSmsForm({}).type).toBe('TWILIO');
  });
  it('saves the provider fields, numbers as numbers, without empty ones', () => {
    const body = fromSmsForm(
      { type: 'SMPP', values: { protocolVersion: '3.4', host: ' smsc ', port: '2775', systemId: 'me', password: '', destinationTon: '' } },
      {},
    );
    expect(body).toEqual({ type: 'SMPP', protocolVersion: '3.4', host: 'smsc', port: 2775, systemId: 'me' });
  });
  it('keeps extra stored keys of the same provider only', () => {
    const stored = { type: 'TWILIO', baseUrl: 'http://edge', numberFrom: '+1' };
    const form = { type: 'TWILIO' as const, values: { numberFrom: '+2', accountSid: 'AC', accountToken: '' } };
    expect(fromSmsForm(form, stored)).toEqual({ type: 'TWILIO', baseUrl: 'http://edge', numberFrom: '+2', accountSid: 'AC' });
    expect(fromSmsForm({ type: 'AWS_SNS', values: { region: 'x' } }, stored)).toEqual({ type: 'AWS_SNS', region: 'x' });
  });
  it('asks for required fields; a stored secret of the same provider counts', () => {
    const form = { type: 'TWILIO' as const, values: { numberFrom: '+1', accountSid: '', accountToken: '' } };
    expect(missingFields(form, {})).toEqual(['Twilio account SID', 'Twilio account token']);
    expect(missingFields(form, { type: 'TWILIO' })).toEqual(['Twilio account SID']);
  });
});
