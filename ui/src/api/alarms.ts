/** Alarms and their comments (spec §3.6, §6.4): lists with filters, ack, clear, comments. */

import type { PageLink } from '../lib/pageLink';
import { pageParams } from '../lib/pageLink';
import { api } from './instance';
import type { EntityId, PageData } from './types';

export const SEVERITIES = ['CRITICAL', 'MAJOR', 'MINOR', 'WARNING', 'INDETERMINATE'] as const;
export type AlarmSeverity = (typeof SEVERITIES)[number];

/** `searchStatus` values of the v2 `statusList` filter. */
export const SEARCH_STATUSES = ['ACTIVE', 'CLEARED', 'ACK', 'UNACK'] as const;
export type AlarmSearchStatus = (typeof SEARCH_STATUSES)[number];

export type AlarmStatus = 'ACTIVE_UNACK' | 'ACTIVE_ACK' | 'CLEARED_UNACK' | 'CLEARED_ACK';

export interface AlarmInfo {
  id: EntityId<'ALARM'>;
  createdTime: number;
  type: string;
  originator: EntityId<string>;
  originatorName?: string | null;
  originatorLabel?: string | null;
  severity: AlarmSeverity;
  status: AlarmStatus;
  acknowledged: boolean;
  cleared: boolean;
  startTs: number;
  endTs: number;
  ackTs: number;
  clearTs: number;
  details?: Record<string, unknown> | null;
  assigneeId?: EntityId<'USER'> | null;
  assignee?: { email: string; firstName?: string | null; lastName?: string | null } | null;
}

export interface AlarmComment {
  id: { id: string };
  createdTime: number;
  alarmId: EntityId<'ALARM'>;
  userId: EntityId<'USER'> | null;
  type: 'SYSTEM' | 'OTHER';
  comment: { text: string; [field: string]: unknown };
}

export interface AlarmFilter {
  statuses: AlarmSearchStatus[];
  severities: AlarmSeverity[];
  types: string[];
  /** How far back `startTime` reaches, in ms; 0 = no bound; CUSTOM_RANGE = `from`..`to`. */
  window: number;
  /** Bounds of a custom range (epoch ms); either may be open. */
  from?: number | null;
  to?: number | null;
}

/** The `window` value of an absolute range. */
export const CUSTOM_RANGE = -1;

export const EMPTY_ALARM_FILTER: AlarmFilter = { statuses: [], severities: [], types: [], window: 0 };

/** Query parameters of `/api/v2/alarms` for a page, a filter and the current time. */
export function alarmQuery(link: PageLink, filter: AlarmFilter, now: number): Record<string, string> {
  const query: Record<string, string> = pageParams(link);
  if (filter.statuses.length) query.statusList = filter.statuses.join(',');
  if (filter.severities.length) query.severityList = filter.severities.join(',');
  if (filter.types.length) query.typeList = filter.types.join(',');
  if (filter.window > 0) {
    query.startTime = String(now - filter.window);
    query.endTime = String(now);
  } else if (filter.window === CUSTOM_RANGE) {
    if (filter.from != null) query.startTime = String(filter.from);
    if (filter.to != null) query.endTime = String(filter.to);
  }
  return query;
}

/** Alarms visible to the user, or those of one entity (including propagated ones). */
export function alarms(
  link: PageLink,
  filter: AlarmFilter,
  entity?: EntityId<string>,
): Promise<PageData<AlarmInfo>> {
  const path = entity ? `/api/v2/alarm/${entity.entityType}/${entity.id}` : '/api/v2/alarms';
  return api.get(path, alarmQuery(link, filter, Date.now()));
}

export const alarmInfo = (id: string): Promise<AlarmInfo> => api.get(`/api/alarm/info/${id}`);

export const ackAlarm = (id: string): Promise<AlarmInfo> => api.post(`/api/alarm/${id}/ack`);

export const clearAlarm = (id: string): Promise<AlarmInfo> => api.post(`/api/alarm/${id}/clear`);

export const deleteAlarm = (id: string): Promise<boolean> => api.delete(`/api/alarm/${id}`);

/** Every alarm type of the tenant, for the type filter. */
export async function alarmTypes(): Promise<string[]> {
  const page = await api.get<PageData<{ type: string }>>('/api/alarm/types', {
    pageSize: 200,
    page: 0,
  });
  return page.data.map((t) => t.type);
}

export async function comments(alarmId: string): Promise<AlarmComment[]> {
  const page = await api.get<PageData<AlarmComment>>(`/api/alarm/${alarmId}/comment`, {
    pageSize: 100,
    page: 0,
    sortProperty: 'createdTime',
    sortOrder: 'ASC',
  });
  return page.data;
}

export const addComment = (alarmId: string, text: string): Promise<AlarmComment> =>
  api.post(`/api/alarm/${alarmId}/comment`, { alarmId: { entityType: 'ALARM', id: alarmId }, comment: { text } });

export const deleteComment = (alarmId: string, commentId: string): Promise<void> =>
  api.delete(`/api/alarm/${alarmId}/comment/${commentId}`);

/** Mantine colour of a severity badge. */
export const SEVERITY_COLOR: Record<AlarmSeverity, string> = {
  CRITICAL: 'red',
  MAJOR: 'orange',
  MINOR: 'yellow',
  WARNING: 'blue',
  INDETERMINATE: 'gray',
};

export const STATUS_LABEL: Record<AlarmStatus, string> = {
  ACTIVE_UNACK: 'Active, unacknowledged',
  ACTIVE_ACK: 'Active, acknowledged',
  CLEARED_UNACK: 'Cleared, unacknowledged',
  CLEARED_ACK: 'Cleared, acknowledged',
};

export const assignAlarm = (id: string, userId: string): Promise<AlarmInfo> =>
  api.post(`/api/alarm/${id}/assign/${userId}`);

export const unassignAlarm = (id: string): Promise<AlarmInfo> => api.delete(`/api/alarm/${id}/assign`);
