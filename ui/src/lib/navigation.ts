/**
 * What each authority may open (spec §1.5): the navigation and the router both read this
 * table, so a link the user cannot see is also a page the user cannot reach.
 */

import type { Authority } from '../api/types';

export type Section =
  | 'home'
  | 'tenants'
  | 'tenantProfiles'
  | 'devices'
  | 'assets'
  | 'deviceProfiles'
  | 'otaPackages'
  | 'assetProfiles'
  | 'customers'
  | 'users'
  | 'ruleChains'
  | 'alarms'
  | 'dashboards'
  | 'notifications'
  | 'settings'
  | 'smsSettings'
  | 'tenant';

export interface NavItem {
  section: Section;
  label: string;
  path: string;
}

const ITEMS: Record<Section, NavItem> = {
  home: { section: 'home', label: 'Home', path: '/' },
  tenants: { section: 'tenants', label: 'Tenants', path: '/tenants' },
  tenantProfiles: { section: 'tenantProfiles', label: 'Tenant profiles', path: '/tenant-profiles' },
  devices: { section: 'devices', label: 'Devices', path: '/devices' },
  assets: { section: 'assets', label: 'Assets', path: '/assets' },
  deviceProfiles: { section: 'deviceProfiles', label: 'Device profiles', path: '/device-profiles' },
  otaPackages: { section: 'otaPackages', label: 'OTA packages', path: '/ota-packages' },
  assetProfiles: { section: 'assetProfiles', label: 'Asset profiles', path: '/asset-profiles' },
  customers: { section: 'customers', label: 'Customers', path: '/customers' },
  users: { section: 'users', label: 'Users', path: '/users' },
  ruleChains: { section: 'ruleChains', label: 'Rule chains', path: '/rule-chains' },
  alarms: { section: 'alarms', label: 'Alarms', path: '/alarms' },
  dashboards: { section: 'dashboards', label: 'Dashboards', path: '/dashboards' },
  notifications: { section: 'notifications', label: 'Notifications', path: '/notifications' },
  settings: { section: 'settings', label: 'Mail settings', path: '/settings/mail' },
  smsSettings: { section: 'smsSettings', label: 'SMS settings', path: '/settings/sms' },
  tenant: { section: 'tenant', label: 'Tenant', path: '/tenant' },
};

const SECTIONS: Record<Authority, Section[]> = {
  SYS_ADMIN: ['home', 'tenants', 'tenantProfiles', 'notifications', 'settings', 'smsSettings'],
  TENANT_ADMIN: [
    'home',
    'alarms',
    'dashboards',
    'devices',
    'assets',
    'customers',
    'users',
    'deviceProfiles',
    'otaPackages',
    'assetProfiles',
    'ruleChains',
    'notifications',
    'smsSettings',
    'tenant',
  ],
  CUSTOMER_USER: ['home', 'alarms', 'dashboards', 'devices', 'assets', 'notifications'],
};

/** The navigation of `authority`, in display order. */
export function navigationFor(authority: Authority): NavItem[] {
  return SECTIONS[authority].map((section) => ITEMS[section]);
}

/** Whether `authority` may open `section`. */
export function canOpen(authority: Authority, section: Section): boolean {
  return SECTIONS[authority].includes(section);
}

/** What a user may do with devices beyond reading them (spec §1.5). */
export interface DevicePermissions {
  create: boolean;
  delete: boolean;
  edit: boolean;
  assign: boolean;
  editCredentials: boolean;
  /** Attribute scopes the user may write; CLIENT_SCOPE is the device's own. */
  writableScopes: ('SERVER_SCOPE' | 'SHARED_SCOPE')[];
}

export function devicePermissions(authority: Authority): DevicePermissions {
  const admin = authority === 'TENANT_ADMIN';
  return {
    create: admin,
    delete: admin,
    edit: admin || authority === 'CUSTOMER_USER',
    assign: admin,
    editCredentials: admin,
    writableScopes: authority === 'SYS_ADMIN' ? [] : ['SERVER_SCOPE', 'SHARED_SCOPE'],
  };
}

export const AUTHORITY_LABEL: Record<Authority, string> = {
  SYS_ADMIN: 'System administrator',
  TENANT_ADMIN: 'Tenant administrator',
  CUSTOMER_USER: 'Customer user',
};
