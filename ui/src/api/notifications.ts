/** Notification center REST (spec §7): the inbox of every user; targets, templates, rules. */

import type { PageLink } from '../lib/pageLink';
import { pageParams } from '../lib/pageLink';
import { api } from './instance';
import type { EntityId, PageData } from './types';

export interface Notification {
  id: EntityId<'NOTIFICATION'>;
  createdTime: number;
  type: string;
  subject: string | null;
  text: string;
  status: 'SENT' | 'READ';
  info?: Record<string, unknown> | null;
}

export const inbox = (link: PageLink, unreadOnly: boolean): Promise<PageData<Notification>> =>
  api.get('/api/notifications', { ...pageParams(link), unreadOnly, deliveryMethod: 'WEB' });

export const unreadCount = (): Promise<number> => api.get('/api/notifications/unread/count');

export const markRead = (id: string): Promise<void> =>
  api.request('PUT', `/api/notification/${id}/read`);

export const markAllRead = (): Promise<void> => api.request('PUT', '/api/notifications/read');

export const deleteNotification = (id: string): Promise<void> =>
  api.delete(`/api/notification/${id}`);

// ---- targets, templates, rules ----

export type CatalogKind = 'target' | 'template' | 'rule';

export interface CatalogObject {
  id?: EntityId<string>;
  createdTime?: number;
  name: string;
  [field: string]: unknown;
}

export const catalogPage = (kind: CatalogKind, link: PageLink): Promise<PageData<CatalogObject>> =>
  api.get(`/api/notification/${kind}s`, pageParams(link));

/** Every object of a kind (for pickers); the catalogue of a tenant is small. */
export async function catalogAll(kind: CatalogKind): Promise<CatalogObject[]> {
  const page = await api.get<PageData<CatalogObject>>(`/api/notification/${kind}s`, {
    pageSize: 500,
    page: 0,
    sortProperty: 'name',
    sortOrder: 'ASC',
  });
  return page.data;
}

export const saveCatalogObject = (kind: CatalogKind, body: CatalogObject): Promise<CatalogObject> =>
  api.post(`/api/notification/${kind}`, body);

export const deleteCatalogObject = (kind: CatalogKind, id: string): Promise<void> =>
  api.delete(`/api/notification/${kind}/${id}`);

export const NOTIFICATION_TYPES = [
  'GENERAL',
  'ALARM',
  'DEVICE_ACTIVITY',
  'ENTITY_ACTION',
  'ALARM_COMMENT',
  'ALARM_ASSIGNMENT',
  'RULE_ENGINE_COMPONENT_LIFECYCLE_EVENT',
  'ENTITIES_LIMIT',
  'API_USAGE_LIMIT',
  'RATE_LIMITS',
  'RULE_NODE',
] as const;

/** Trigger types the node's rules act on. */
export const TRIGGER_TYPES = ['ALARM', 'DEVICE_ACTIVITY', 'ENTITY_ACTION'] as const;
export type TriggerType = (typeof TRIGGER_TYPES)[number];

export const DELIVERY_METHODS = ['WEB', 'EMAIL', 'SMS', 'SLACK', 'WEBHOOK'] as const;
export type DeliveryMethod = (typeof DELIVERY_METHODS)[number];

/** Methods whose template has a subject line. */
export const HAS_SUBJECT: ReadonlySet<DeliveryMethod> = new Set(['WEB', 'EMAIL']);

export const USERS_FILTERS = [
  'ALL_USERS',
  'TENANT_ADMINISTRATORS',
  'CUSTOMER_USERS',
  'USER_LIST',
  'ORIGINATOR_ENTITY_OWNER_USERS',
  'AFFECTED_USER',
] as const;
export type UsersFilter = (typeof USERS_FILTERS)[number];

/** Send now: to `targets`, with a stored template or a WEB subject and message. */
export function sendNotification(targets: string[], content: { templateId: string } | { subject: string; body: string }): Promise<unknown> {
  const template =
    'templateId' in content
      ? { templateId: { entityType: 'NOTIFICATION_TEMPLATE', id: content.templateId } }
      : {
          template: {
            name: 'Manual',
            notificationType: 'GENERAL',
            configuration: {
              deliveryMethodsTemplates: { WEB: { method: 'WEB', enabled: true, subject: content.subject, body: content.body } },
            },
          },
        };
  return api.post('/api/notification/request', { targets, ...template, additionalConfig: { sendingDelayInSec: 0 } });
}
