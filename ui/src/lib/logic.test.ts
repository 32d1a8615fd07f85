import { describe, expect, it } from 'vitest';
import { credentialsBody, formFrom, generateToken, validate } from './credentials';
import { displayName, formatValue, initials, parseValue } from './format';
import { canOpen, devicePermissions, navigationFor } from './navigation';
import { DEFAULT_PAGE_LINK, pageParams, rangeLabel, toggleSort, withSearch } from './pageLink';
import { safeNext } from './redirect';
import type { DeviceCredentials } from '../api/types';

describe('pageLink', () => {
  it('leaves out a blank search and keeps paging', () => {
    expect(pageParams({ ...DEFAULT_PAGE_LINK, textSearch: '  ' })).toEqual({
      pageSize: '10',
      page: '0',
      sortProperty: 'createdTime',
      sortOrder: 'DESC',
    });
    expect(pageParams({ ...DEFAULT_PAGE_LINK, textSearch: ' pump ', page: 2 }).textSearch).toBe('pump');
  });
  it('sorts a new column ascending, flips the same one, and returns to page 0', () => {
    const byName = toggleSort({ ...DEFAULT_PAGE_LINK, page: 3 }, 'name');
    expect(byName).toMatchObject({ sortProperty: 'name', sortOrder: 'ASC', page: 0 });
    expect(toggleSort(byName, 'name').sortOrder).toBe('DESC');
    expect(toggleSort(toggleSort(byName, 'name'), 'name').sortOrder).toBe('ASC');
  });
  it('starts a search on the first page', () => {
    expect(withSearch({ ...DEFAULT_PAGE_LINK, page: 4 }, 'x')).toMatchObject({ page: 0, textSearch: 'x' });
  });
  it('labels the shown range', () => {
    expect(rangeLabel({ ...DEFAULT_PAGE_LINK, page: 1 }, 25)).toBe('11–20 of 25');
    expect(rangeLabel({ ...DEFAULT_PAGE_LINK, page: 2 }, 25)).toBe('21–25 of 25');
    expect(rangeLabel(DEFAULT_PAGE_LINK, 0)).toBe('0 of 0');
  });
});

describe('navigation', () => {
  it('follows the authority', () => {
    const sections = (a: Parameters<typeof navigationFor>[0]) => navigationFor(a).map((i) => i.section);
    expect(sections('SYS_ADMIN')).toEqual(['home', 'tenants', 'tenantProfiles', 'notifications', 'settings', 'smsSettings']);
    expect(sections('TENANT_ADMIN')).toContain('customers');
    expect(sections('TENANT_ADMIN')).not.toContain('tenants');
    expect(sections('CUSTOMER_USER')).toEqual(['home', 'alarms', 'dashboards', 'devices', 'assets', 'notifications']);
    expect(canOpen('CUSTOMER_USER', 'customers')).toBe(false);
    expect(sections('TENANT_ADMIN')).toContain('ruleChains');
    expect(canOpen('CUSTOMER_USER', 'ruleChains')).toBe(false);
    expect(canOpen('SYS_ADMIN', 'ruleChains')).toBe(false);
  });
  it('lets only tenant admins create, delete and assign devices', () => {
    expect(devicePermissions('TENANT_ADMIN')).toMatchObject({ create: true, delete: true, assign: true });
    expect(devicePermissions('CUSTOMER_USER')).toMatchObject({ create: false, delete: false, assign: false, edit: true });
    expect(devicePermissions('SYS_ADMIN').writableScopes).toEqual([]);
  });
});

describe('format', () => {
  it('parses typed attribute values', () => {
    expect(parseValue('42')).toBe(42);
    expect(parseValue('-1.5e3')).toBe(-1500);
    expect(parseValue('true')).toBe(true);
    expect(parseValue('{"a":1}')).toEqual({ a: 1 });
    expect(parseValue('{broken')).toBe('{broken');
    expect(parseValue('12 kW')).toBe('12 kW');
    expect(parseValue('')).toBe('');
  });
  it('formats values and names', () => {
    expect(formatValue({ a: [1] })).toBe('{"a":[1]}');
    expect(formatValue(null)).toBe('');
    expect(formatValue(false)).toBe('false');
    expect(displayName({ email: 'a@b.c', firstName: 'Ada', lastName: null })).toBe('Ada');
    expect(displayName({ email: 'a@b.c' })).toBe('a@b.c');
    expect(initials('Demo Admin')).toBe('DA');
    expect(initials('tenant@industryos.local')).toBe('TE');
  });
});

describe('safeNext', () => {
  it('only returns paths of this app', () => {
    expect(safeNext('/devices/1')).toBe('/devices/1');
    expect(safeNext(null)).toBe('/');
    expect(safeNext('https://evil.example')).toBe('/');
    expect(safeNext('//evil.example')).toBe('/');
    expect(safeNext('/\\evil.example')).toBe('/');
    expect(safeNext('/login')).toBe('/');
  });
});

describe('credentials', () => {
  const current: DeviceCredentials = {
    id: { id: 'c1' },
    deviceId: { entityType: 'DEVICE', id: 'd1' },
    credentialsType: 'ACCESS_TOKEN',
    credentialsId: 'abc',
    credentialsValue: null,
    version: 3,
  };
  it('generates 20 unbiased alphanumerics', () => {
    const token = generateToken();
    expect(token).toMatch(/^[A-Za-z0-9]{20}$/);
    // Bytes at or above 248 are redrawn: all 255s would otherwise map to one letter.
    let calls = 0;
    const fake = (n: number) => (calls++ === 0 ? new Uint8Array(n).fill(255) : new Uint8Array(n).fill(1));
    expect(generateToken(fake)).toBe('B'.repeat(20));
  });
  it('reads MQTT basic values and builds the body the server expects', () => {
    const basic = formFrom({ ...current, credentialsType: 'MQTT_BASIC', credentialsValue: '{"clientId":"c","userName":"u","password":"p"}' });
    expect(basic).toMatchObject({ type: 'MQTT_BASIC', clientId: 'c', userName: 'u', password: 'p' });
    const body = credentialsBody(current, { ...basic, clientId: '' });
    expect(body.credentialsId).toBeNull();
    expect(JSON.parse(body.credentialsValue!)).toEqual({ clientId: null, userName: 'u', password: 'p' });
    expect(body.id).toEqual({ id: 'c1' });
    expect(credentialsBody(current, { ...formFrom(current), token: ' t1 ' }).credentialsId).toBe('t1');
  });
  it('refuses incomplete forms', () => {
    const form = formFrom(current);
    expect(validate(form)).toBeNull();
    expect(validate({ ...form, token: ' ' })).not.toBeNull();
    expect(validate({ ...form, type: 'MQTT_BASIC' })).not.toBeNull();
    expect(validate({ ...form, type: 'MQTT_BASIC', clientId: 'c', password: 'p' })).toMatch(/user name/);
    expect(validate({ ...form, type: 'X509_CERTIFICATE', certificate: 'nope' })).not.toBeNull();
  });
});
