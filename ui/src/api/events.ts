/** Events of an entity (spec §3.10): errors, lifecycle and statistics, newest first. */

import type { PageLink } from '../lib/pageLink';
import { pageParams } from '../lib/pageLink';
import { api } from './instance';
import type { EntityId, PageData } from './types';

export const EVENT_TYPES = ['ERROR', 'LC_EVENT', 'STATS'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface EventInfo {
  id: { id: string };
  createdTime: number;
  type: string;
  body: Record<string, unknown>;
}

export function events(entity: EntityId<string>, type: EventType, link: PageLink): Promise<PageData<EventInfo>> {
  const query = pageParams(link);
  if (query.sortProperty === 'createdTime') query.sortProperty = 'ts';
  return api.get(`/api/events/${entity.entityType}/${entity.id}/${type}`, query);
}

export const clearEvents = (entity: EntityId<string>, type: EventType): Promise<void> =>
  api.post(`/api/events/${entity.entityType}/${entity.id}/clear`, { eventType: type });
