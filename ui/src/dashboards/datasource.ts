/**
 * Data-source resolution: which entities and keys a widget shows. A datasource names a
 * device directly (`type: 'device'`) or an entity alias of the dashboard (`type: 'entity'`),
 * whose filter picks one entity, a list, or entities by name prefix / device type (those
 * last two need the API, so they go through a `lookup` the caller provides).
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

/** What alias filters that search need from the API. */
export interface EntityLookup {
  byNamePrefix(entityType: string, prefix: string): Promise<ResolvedEntity[]>;
  byDeviceTypes(types: string[], namePrefix: string): Promise<ResolvedEntity[]>;
}

/** The entities of a filter that needs no lookup, or null when it does. */
export function staticEntities(filter: EntityFilter): ResolvedEntity[] | null {
  switch (filter.type) {
    case 'singleEntity':
      return filter.singleEntity?.id
        ? [{ entityType: filter.singleEntity.entityType, id: filter.singleEntity.id }]
        : [];
    case 'entityList':
      return (filter.entityList ?? []).map((id) => ({ entityType: filter.entityType ?? 'DEVICE', id }));
    default:
      return null;
  }
}

const LOOKUPS: Record<string, (filter: EntityFilter, lookup: EntityLookup) => Promise<ResolvedEntity[]>> = {
  entityName: (f, l) => l.byNamePrefix(f.entityType ?? 'DEVICE', f.entityNameFilter ?? ''),
  deviceType: (f, l) =>
    l.byDeviceTypes(f.deviceTypes ?? (f.deviceType ? [f.deviceType] : []), f.deviceNameFilter ?? ''),
};

/** The entities an alias stands for. */
export async function resolveAlias(alias: EntityAlias, lookup: EntityLookup): Promise<ResolvedEntity[]> {
  const fixed = staticEntities(alias.filter);
  if (fixed) return fixed;
  const search = LOOKUPS[alias.filter.type];
  if (!search) throw new Error(`Alias "${alias.alias}": filter type ${alias.filter.type} is not supported`);
  return search(alias.filter, lookup);
}

/** Resolve one datasource against the dashboard's aliases. */
export async function resolveDatasource(
  source: Datasource,
  aliases: Record<string, EntityAlias>,
  lookup: EntityLookup,
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
    return { entities: await resolveAlias(alias, lookup), keys };
  } catch (error) {
    return { entities: [], keys, problem: error instanceof Error ? error.message : String(error) };
  }
}

/** Every datasource of a widget, merged: the entities (once each) and each entity's keys. */
export async function resolveWidget(
  sources: Datasource[],
  aliases: Record<string, EntityAlias>,
  lookup: EntityLookup,
): Promise<ResolvedSource[]> {
  return Promise.all(sources.map((s) => resolveDatasource(s, aliases, lookup)));
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

/** A lookup that asks once per question while a dashboard is open (many widgets, one alias). */
export function cachedLookup(lookup: EntityLookup): EntityLookup {
  const cache = new Map<string, Promise<ResolvedEntity[]>>();
  const once = (key: string, ask: () => Promise<ResolvedEntity[]>): Promise<ResolvedEntity[]> => {
    let found = cache.get(key);
    if (!found) {
      found = ask();
      cache.set(key, found);
      found.catch(() => cache.delete(key)); // a failure is asked again next time
    }
    return found;
  };
  return {
    byNamePrefix: (type, prefix) => once(`name|${type}|${prefix}`, () => lookup.byNamePrefix(type, prefix)),
    byDeviceTypes: (types, prefix) => once(`types|${types.join(',')}|${prefix}`, () => lookup.byDeviceTypes(types, prefix)),
  };
}
