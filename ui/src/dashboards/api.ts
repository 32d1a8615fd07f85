/** The REST calls of dashboards and their widgets (spec §3.3, §3.5, §3.6, §3.7). */

import { api } from '../api/instance';
import type { AttributeEntry, Device, EntityId, Named, PageData } from '../api/types';
import { pageParams, type PageLink } from '../lib/pageLink';
import type { EntityLookup, ResolvedEntity } from './datasource';
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

/** Alias lookups through the tenant's device and asset lists. */
export function apiLookup(customerId?: string): EntityLookup {
  const list = async (entityType: string, query: Record<string, string>): Promise<ResolvedEntity[]> => {
    const kind = entityType === 'ASSET' ? 'assets' : 'devices';
    const path = customerId ? `/api/customer/${customerId}/${kind}` : `/api/tenant/${kind}`;
    const page = await api.get<PageData<Named>>(path, { pageSize: 100, page: 0, sortProperty: 'name', sortOrder: 'ASC', ...query });
    return page.data.map((e) => ({ entityType: e.id.entityType, id: e.id.id, name: String(e.name ?? '') }));
  };
  return {
    byNamePrefix: async (entityType, prefix) =>
      (await list(entityType, prefix ? { textSearch: prefix } : {})).filter((e) => (e.name ?? '').toLowerCase().startsWith(prefix.toLowerCase())),
    byDeviceTypes: async (types, prefix) => {
      const found = await Promise.all(types.map((type) => list('DEVICE', { type, ...(prefix ? { textSearch: prefix } : {}) })));
      return found.flat().filter((e) => (e.name ?? '').toLowerCase().startsWith(prefix.toLowerCase()));
    },
  };
}
