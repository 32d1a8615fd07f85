/** The REST calls of dashboards and their widgets (spec §3.3, §3.5, §3.6, §3.7). */

import { api } from '../api/instance';
import type { AttributeEntry, Device, EntityId, JwtPair, Named, PageData } from '../api/types';
import { pageParams, type PageLink } from '../lib/pageLink';
import { entitiesOfPage, entityQueryBody, type EntityLookup } from './datasource';
import type { Point } from './live';
import type { HistoryQuery } from './timewindow';
import type { Dashboard } from './types';

export const tenantDashboards = (link: PageLink): Promise<PageData<Dashboard>> =>
  api.get('/api/tenant/dashboards', pageParams(link));

export const customerDashboards = (customerId: string, link: PageLink): Promise<PageData<Dashboard>> =>
  api.get(`/api/customer/${customerId}/dashboards`, pageParams(link));

export const dashboard = (id: string): Promise<Dashboard> => api.get(`/api/dashboard/${id}`);

export const saveDashboard = (body: Dashboard): Promise<Dashboard> => api.post('/api/dashboard', body);

export const deleteDashboard = (id: string): Promise<void> => api.delete(`/api/dashboard/${id}`);

export const assignDashboard = (customerId: string, id: string): Promise<Dashboard> =>
  api.post(`/api/customer/${customerId}/dashboard/${id}`);

export const unassignDashboard = (customerId: string, id: string): Promise<Dashboard> =>
  api.delete(`/api/customer/${customerId}/dashboard/${id}`);

const telemetryBase = (entity: EntityId<string>): string =>
  `/api/plugins/telemetry/${entity.entityType}/${entity.id}`;

/** History of `keys` as the time window asks (aggregated for long ranges), oldest first. */
export async function history(
  entity: EntityId<string>,
  keys: string[],
  query: HistoryQuery,
): Promise<Record<string, Point[]>> {
  if (!keys.length) return {};
  const wire = await api.get<Record<string, Point[]>>(`${telemetryBase(entity)}/values/timeseries`, {
    keys: keys.join(','),
    startTs: query.startTs,
    endTs: query.endTs,
    agg: query.agg,
    interval: query.agg === 'NONE' ? undefined : query.interval,
    limit: query.limit,
    orderBy: 'ASC',
    useStrictDataTypes: true,
  });
  const out: Record<string, Point[]> = {};
  for (const [key, points] of Object.entries(wire)) out[key] = [...points].sort((a, b) => a.ts - b.ts);
  return out;
}

/** Attributes of any scope, key → value. */
export async function attributeValues(entity: EntityId<string>, keys: string[], scope?: string): Promise<Record<string, unknown>> {
  const path = scope ? `${telemetryBase(entity)}/values/attributes/${scope}` : `${telemetryBase(entity)}/values/attributes`;
  const entries = await api.get<AttributeEntry[]>(path, keys.length ? { keys: keys.join(',') } : undefined);
  return Object.fromEntries(entries.map((e) => [e.key, e.value]));
}

export const saveSharedAttributes = (entity: EntityId<string>, values: Record<string, unknown>): Promise<void> =>
  api.post(`${telemetryBase(entity)}/attributes/SHARED_SCOPE`, values);

/** A server-side RPC to a device; two-way calls return the device's reply. */
export const sendRpc = (deviceId: string, oneWay: boolean, method: string, params: unknown, timeout = 10_000): Promise<unknown> =>
  api.post(`/api/plugins/rpc/${oneWay ? 'oneway' : 'twoway'}/${deviceId}`, { method, params, timeout });

export interface AlarmRow {
  id: { id: string };
  createdTime: number;
  type: string;
  severity: string;
  status: string;
  originatorName?: string | null;
  originator?: EntityId<string>;
}

/** The newest alarms of one entity. */
export const entityAlarms = (entity: EntityId<string>, searchStatus: string, pageSize = 20): Promise<PageData<AlarmRow>> =>
  api.get(`/api/alarm/${entity.entityType}/${entity.id}`, {
    pageSize,
    page: 0,
    sortProperty: 'createdTime',
    sortOrder: 'DESC',
    searchStatus: searchStatus === 'ANY' ? undefined : searchStatus,
    fetchOriginator: true,
  });

const ENTITY_PATH: Record<string, string> = { DEVICE: 'device', ASSET: 'asset', CUSTOMER: 'customer', ENTITY_VIEW: 'entityView' };

/** The display name of an entity (its name, or title for customers). */
export async function entityName(entity: EntityId<string>): Promise<string> {
  const path = ENTITY_PATH[entity.entityType];
  if (!path) return entity.id;
  const found = await api.get<Named>(`/api/${path}/${entity.id}`);
  return String(found.name ?? found.title ?? entity.id);
}

/** Devices the user can see, for pickers (customer users see their own). */
export async function findDevices(textSearch: string, customerId?: string): Promise<Device[]> {
  const link: PageLink = { page: 0, pageSize: 20, textSearch, sortProperty: 'name', sortOrder: 'ASC' };
  const path = customerId ? `/api/customer/${customerId}/devices` : '/api/tenant/devices';
  return (await api.get<PageData<Device>>(path, pageParams(link))).data;
}

/** Alias lookups through the server's entity query (scoped to the caller's tenant/customer). */
export function apiLookup(): EntityLookup {
  return {
    find: async (filter) => entitiesOfPage(await api.post<{ data: [] }>('/api/entitiesQuery/find', entityQueryBody(filter))),
  };
}

/** Share a dashboard with the tenant's public customer; returns the dashboard with its public id. */
export const makeDashboardPublic = (id: string): Promise<Dashboard> => api.post(`/api/customer/public/dashboard/${id}`);

export const makeDashboardPrivate = (id: string): Promise<Dashboard> => api.delete(`/api/customer/public/dashboard/${id}`);

/** The public customer's id of a dashboard shared publicly, else null. */
export function publicIdOf(dashboard: Dashboard): string | null {
  return dashboard.assignedCustomers?.find((c) => c.public)?.customerId.id ?? null;
}

/** The link that opens a public dashboard without signing in. */
export const publicLink = (origin: string, dashboardId: string, publicId: string): string =>
  `${origin}/dashboard/${dashboardId}?publicId=${publicId}`;

export interface HomeDashboardInfo {
  dashboardId: EntityId<'DASHBOARD'> | null;
  hideDashboardToolbar?: boolean;
}

/** The signed-in user's home dashboard (own, customer's or tenant's), or null. */
export const homeDashboard = (): Promise<(Dashboard & { hideDashboardToolbar?: boolean }) | null> => api.get('/api/dashboard/home');

export const tenantHomeDashboardInfo = (): Promise<HomeDashboardInfo | null> => api.get('/api/tenant/dashboard/home/info');

export const setTenantHomeDashboard = (dashboardId: string | null, hideDashboardToolbar = true): Promise<void> =>
  api.post('/api/tenant/dashboard/home/info', {
    dashboardId: dashboardId ? { entityType: 'DASHBOARD', id: dashboardId } : null,
    hideDashboardToolbar,
  });

/** Sign in as the public customer of a public dashboard link (replaces the stored session). */
export async function loginPublic(publicId: string): Promise<void> {
  const pair = await api.request<JwtPair>('POST', '/api/auth/login/public', { body: { publicId }, anonymous: true });
  api.tokens.set(pair);
}
