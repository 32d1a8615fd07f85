/** Tenants and tenant profiles (sysadmin, spec §3.3): CRUD, default profile, tenant admins. */

import type { PageLink } from '../lib/pageLink';
import { pageParams } from '../lib/pageLink';
import { api } from './instance';
import type { EntityId, PageData } from './types';
import type { UserRow } from './users';

export interface Tenant {
  id?: EntityId<'TENANT'>;
  createdTime?: number;
  title: string;
  email?: string | null;
  phone?: string | null;
  country?: string | null;
  city?: string | null;
  tenantProfileId?: EntityId<'TENANT_PROFILE'> | null;
  tenantProfileName?: string | null;
  additionalInfo?: { description?: string; [field: string]: unknown } | null;
  version?: number | null;
  [field: string]: unknown;
}

/** A rate limit is `capacity:seconds[,capacity:seconds…]`; counts are 0 for unlimited. */
export type ProfileConfiguration = Record<string, unknown> & { type?: string };

export interface TenantProfile {
  id?: EntityId<'TENANT_PROFILE'>;
  createdTime?: number;
  name: string;
  description?: string | null;
  default?: boolean;
  isolatedTbRuleEngine?: boolean;
  profileData?: { configuration?: ProfileConfiguration; [field: string]: unknown } | null;
  version?: number | null;
  [field: string]: unknown;
}

export const tenantPage = (link: PageLink): Promise<PageData<Tenant>> => api.get('/api/tenantInfos', pageParams(link));

export const tenant = (id: string): Promise<Tenant> => api.get(`/api/tenant/info/${id}`);

export const saveTenant = (body: Tenant): Promise<Tenant> => api.post('/api/tenant', body);

export const deleteTenant = (id: string): Promise<void> => api.delete(`/api/tenant/${id}`);

export const tenantAdmins = (tenantId: string, link: PageLink): Promise<PageData<UserRow>> =>
  api.get(`/api/tenant/${tenantId}/users`, pageParams(link));

export const tenantProfilePage = (link: PageLink): Promise<PageData<TenantProfile>> =>
  api.get('/api/tenantProfiles', pageParams(link));

/** Every tenant profile, by name (for pickers). */
export async function allTenantProfiles(): Promise<TenantProfile[]> {
  const page = await api.get<PageData<TenantProfile>>('/api/tenantProfiles', {
    pageSize: 1000,
    page: 0,
    sortProperty: 'name',
    sortOrder: 'ASC',
  });
  return page.data;
}

export const saveTenantProfile = (body: TenantProfile): Promise<TenantProfile> => api.post('/api/tenantProfile', body);

export const deleteTenantProfile = (id: string): Promise<void> => api.delete(`/api/tenantProfile/${id}`);

export const makeDefaultTenantProfile = (id: string): Promise<TenantProfile> => api.post(`/api/tenantProfile/${id}/default`);
