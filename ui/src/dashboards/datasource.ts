/**
 * Data-source resolution: which entities and keys a widget shows. A datasource names a
 * device directly (`type: 'device'`) or an entity alias of the dashboard (`type: 'entity'`).
 * Single-entity and entity-list aliases need no API; a state-entity alias is the entity the
 * dashboard state was opened with; every other filter (entity name, device/asset type,
 * entities by type, relations query...) is an entity filter the server resolves through
 * `/api/entitiesQuery/find` (spec §3.9), so the caller's tenant/customer scope applies.
 */

import type { DataKey, Datasource, EntityAlias, EntityFilter } from './types';

export interface ResolvedEntity {
  entityType: string;
  id: string;
  name?: string;
}

export interface ResolvedSource {
  entities: ResolvedEntity[];
  keys: DataKey[];
  /** Why nothing could be resolved (unknown alias, unsupported filter…). */
  problem?: string;
}

/** Finds the entities of an entity filter (the server's entity query). */
export interface EntityLookup {
  find(filter: EntityFilter): Promise<ResolvedEntity[]>;
}

/** The entity a dashboard state was opened with (ThingsBoard's state params). */
export interface StateEntity {
  entityId: { entityType: string; id: string };
  entityName?: string;
}

/** The params of the current dashboard state: the default entity and named ones. */
export interface StateParams {
  entityId?: { entityType: string; id: string };
  entityName?: string;
  [name: string]: unknown;
}

/** The entity of the state params (or of one named param), if any. */
export function stateEntityOf(params: StateParams | undefined, paramName?: string | null): StateEntity | null {
  const source = paramName ? (params?.[paramName] as StateParams | undefined) : params;
  const id = source?.entityId;
  if (!id || typeof id !== 'object' || !id.id || !id.entityType) return null;
  return { entityId: { entityType: id.entityType, id: id.id }, entityName: typeof source?.entityName === 'string' ? source.entityName : undefined };
}

/** The entities of a filter that needs no lookup, or null when it does. */
export function staticEntities(filter: EntityFilter, params?: StateParams): ResolvedEntity[] | null {
  switch (filter.type) {
    case 'singleEntity':
      return filter.singleEntity?.id
        ? [{ entityType: filter.singleEntity.entityType, id: filter.singleEntity.id }]
        : [];
    case 'entityList':
      return (filter.entityList ?? []).map((id) => ({ entityType: filter.entityType ?? 'DEVICE', id }));
    case 'stateEntity': {
      const entity = stateEntityOf(params, filter.stateEntityParamName as string | undefined);
      const fallback = filter.defaultStateEntity as { entityType: string; id: string } | null | undefined;
      if (entity) return [{ ...entity.entityId, name: entity.entityName }];
      return fallback?.id ? [{ entityType: fallback.entityType, id: fallback.id }] : [];
    }
    default:
      return null;
  }
}

/**
 * The filter to send to the server: a relations query rooted at the state entity
 * (`rootStateEntity`) gets that entity as its root; null when there is no root at all.
 */
export function serverFilter(filter: EntityFilter, params?: StateParams): EntityFilter | null {
  if (filter.type !== 'relationsQuery' || !filter.rootStateEntity) return filter;
  const entity = stateEntityOf(params, filter.stateEntityParamName as string | undefined);
  const root = entity?.entityId ?? (filter.defaultStateEntity as { entityType: string; id: string } | null | undefined);
  if (!root?.id) return null;
  return { ...filter, rootStateEntity: false, rootEntity: { entityType: root.entityType, id: root.id } };
}

/** The entities an alias stands for (with the current state's params). */
export async function resolveAlias(alias: EntityAlias, lookup: EntityLookup, params?: StateParams): Promise<ResolvedEntity[]> {
  const fixed = staticEntities(alias.filter, params);
  if (fixed) return fixed;
  const filter = serverFilter(alias.filter, params);
  if (!filter) return [];
  const found = await lookup.find(filter);
  return alias.resolveMultiple === false ? found.slice(0, 1) : found;
}

/** Resolve one datasource against the dashboard's aliases. */
export async function resolveDatasource(
  source: Datasource,
  aliases: Record<string, EntityAlias>,
  lookup: EntityLookup,
  params?: StateParams,
): Promise<ResolvedSource> {
  const keys = source.dataKeys ?? [];
  if (source.type === 'device') {
    return source.deviceId
      ? { entities: [{ entityType: 'DEVICE', id: source.deviceId }], keys }
      : { entities: [], keys, problem: 'No device chosen' };
  }
  const alias = source.entityAliasId ? aliases[source.entityAliasId] : undefined;
  if (!alias) return { entities: [], keys, problem: 'Unknown entity alias' };
  try {
    return { entities: await resolveAlias(alias, lookup, params), keys };
  } catch (error) {
    return { entities: [], keys, problem: error instanceof Error ? error.message : String(error) };
  }
}

/** Every datasource of a widget, merged: the entities (once each) and each entity's keys. */
export async function resolveWidget(
  sources: Datasource[],
  aliases: Record<string, EntityAlias>,
  lookup: EntityLookup,
  params?: StateParams,
): Promise<ResolvedSource[]> {
  return Promise.all(sources.map((s) => resolveDatasource(s, aliases, lookup, params)));
}

/** A stable key of an entity (maps, subscription tables). */
export const entityKey = (entity: { entityType: string; id: string }): string => `${entity.entityType}:${entity.id}`;

/** Names of keys of one kind, deduplicated, in order. */
export function keyNames(sources: ResolvedSource[], type: DataKey['type']): string[] {
  const names: string[] = [];
  for (const source of sources) for (const key of source.keys) if (key.type === type && !names.includes(key.name)) names.push(key.name);
  return names;
}

/** A key's label, falling back to its name. */
export const keyLabel = (key: DataKey): string => key.label?.trim() || key.name;

/** A lookup that asks once per filter while a dashboard is open (many widgets, one alias). */
export function cachedLookup(lookup: EntityLookup): EntityLookup {
  const cache = new Map<string, Promise<ResolvedEntity[]>>();
  return {
    find(filter) {
      const key = JSON.stringify(filter);
      let found = cache.get(key);
      if (!found) {
        found = lookup.find(filter);
        cache.set(key, found);
        found.catch(() => cache.delete(key)); // a failure is asked again next time
      }
      return found;
    },
  };
}

/** The `/api/entitiesQuery/find` body that lists a filter's entities by name. */
export function entityQueryBody(filter: EntityFilter, pageSize = 1000): Record<string, unknown> {
  return {
    entityFilter: filter,
    pageLink: { page: 0, pageSize, sortOrder: { key: { type: 'ENTITY_FIELD', key: 'name' }, direction: 'ASC' } },
    entityFields: [{ type: 'ENTITY_FIELD', key: 'name' }],
  };
}

interface EntityDataWire {
  entityId: { entityType: string; id: string };
  latest?: { ENTITY_FIELD?: { name?: { value?: unknown } } };
}

/** The entities of an entity query's page. */
export function entitiesOfPage(page: { data?: EntityDataWire[] }): ResolvedEntity[] {
  return (page.data ?? []).map((e) => {
    const name = e.latest?.ENTITY_FIELD?.name?.value;
    return { entityType: e.entityId.entityType, id: e.entityId.id, ...(name == null ? {} : { name: String(name) }) };
  });
}
