/** The other entity lists and lookups the UI shows (spec §3.3, §3.4, §3.10). */

import type { PageLink } from '../lib/pageLink';
import { pageParams } from '../lib/pageLink';
import { api } from './instance';
import type { AuditLog, EntityId, EntityRelationInfo, Named, PageData } from './types';

/** A paged list endpoint by path (tenants, customers, assets, profiles, users). */
export const pageOf = (path: string, link: PageLink): Promise<PageData<Named>> =>
  api.get(path, pageParams(link));

export const tenantTitle = async (id: string): Promise<string> =>
  (await api.get<{ title: string }>(`/api/tenant/${id}`)).title;

export const customerTitle = async (id: string): Promise<string> =>
  (await api.get<{ title: string }>(`/api/customer/${id}/shortInfo`)).title;

export const customers = (link: PageLink): Promise<PageData<Named>> =>
  pageOf('/api/customers', link);

/** Relations of both directions, with the names of the other side. */
export async function relationsOf(entity: EntityId): Promise<EntityRelationInfo[]> {
  const [from, to] = await Promise.all([
    api.get<EntityRelationInfo[]>('/api/relations/info', {
      fromId: entity.id,
      fromType: entity.entityType,
    }),
    api.get<EntityRelationInfo[]>('/api/relations/info', {
      toId: entity.id,
      toType: entity.entityType,
    }),
  ]);
  return [...from, ...to];
}

export const auditLogsOf = (entity: EntityId, link: PageLink): Promise<PageData<AuditLog>> =>
  api.get(`/api/audit/logs/entity/${entity.entityType}/${entity.id}`, pageParams(link));
