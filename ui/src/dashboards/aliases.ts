/**
 * The entity alias manager's logic: the filters it can build (ThingsBoard's alias filter
 * types), a one-line summary of each, and which widgets use an alias (an alias in use is
 * not deleted, as in ThingsBoard).
 */

import { newId } from './config';
import type { DashboardConfiguration, EntityAlias, EntityFilter } from './types';

export type AliasFilterType =
  | 'singleEntity'
  | 'entityList'
  | 'entityName'
  | 'entityType'
  | 'deviceType'
  | 'assetType'
  | 'relationsQuery'
  | 'stateEntity';

export const FILTER_TYPES: { value: AliasFilterType; label: string }[] = [
  { value: 'singleEntity', label: 'Single entity' },
  { value: 'entityList', label: 'Entity list' },
  { value: 'entityName', label: 'Entities by name' },
  { value: 'entityType', label: 'Entities by type' },
  { value: 'deviceType', label: 'Devices by type' },
  { value: 'assetType', label: 'Assets by type' },
  { value: 'relationsQuery', label: 'Relations query' },
  { value: 'stateEntity', label: 'Entity from dashboard state' },
];

export const ENTITY_TYPES = ['DEVICE', 'ASSET', 'ENTITY_VIEW', 'CUSTOMER', 'DASHBOARD', 'USER'];

/** What the alias form edits, flat; `aliasFilter` turns it into the wire filter. */
export interface AliasForm {
  name: string;
  type: AliasFilterType;
  entityType: string;
  entityId: string | null;
  entityIds: string[];
  namePrefix: string;
  types: string[];
  rootStateEntity: boolean;
  direction: 'FROM' | 'TO';
  maxLevel: number;
  relationType: string;
  relatedTypes: string[];
  stateParamName: string;
  resolveMultiple: boolean;
}

export function emptyAliasForm(): AliasForm {
  return {
    name: '',
    type: 'singleEntity',
    entityType: 'DEVICE',
    entityId: null,
    entityIds: [],
    namePrefix: '',
    types: [],
    rootStateEntity: true,
    direction: 'FROM',
    maxLevel: 1,
    relationType: 'Contains',
    relatedTypes: ['DEVICE'],
    stateParamName: '',
    resolveMultiple: false,
  };
}

const BUILDERS: Record<AliasFilterType, (f: AliasForm) => EntityFilter> = {
  singleEntity: (f) => ({ type: 'singleEntity', singleEntity: { entityType: f.entityType, id: f.entityId ?? '' } }),
  entityList: (f) => ({ type: 'entityList', entityType: f.entityType, entityList: f.entityIds }),
  entityName: (f) => ({ type: 'entityName', entityType: f.entityType, entityNameFilter: f.namePrefix }),
  entityType: (f) => ({ type: 'entityType', entityType: f.entityType }),
  deviceType: (f) => ({ type: 'deviceType', deviceTypes: f.types, deviceNameFilter: f.namePrefix }),
  assetType: (f) => ({ type: 'assetType', assetTypes: f.types, assetNameFilter: f.namePrefix }),
  relationsQuery: (f) => ({
    type: 'relationsQuery',
    rootStateEntity: f.rootStateEntity,
    stateEntityParamName: f.rootStateEntity && f.stateParamName ? f.stateParamName : null,
    rootEntity: f.rootStateEntity || !f.entityId ? null : { entityType: f.entityType, id: f.entityId },
    direction: f.direction,
    maxLevel: f.maxLevel,
    fetchLastLevelOnly: false,
    filters: [{ relationType: f.relationType, entityTypes: f.relatedTypes }],
  }),
  stateEntity: (f) => ({ type: 'stateEntity', stateEntityParamName: f.stateParamName || null, defaultStateEntity: null }),
};

/** The alias a form describes (keeping the id of the alias it edits). */
export function aliasFromForm(form: AliasForm, id: string = newId()): EntityAlias {
  return { id, alias: form.name.trim(), filter: BUILDERS[form.type](form), resolveMultiple: form.resolveMultiple };
}

/** The form to edit an existing alias. */
export function formFromAlias(alias: EntityAlias): AliasForm {
  const f = alias.filter;
  const base = emptyAliasForm();
  const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
  const root = f.rootEntity as { entityType?: string; id?: string } | null | undefined;
  const firstFilter = (Array.isArray(f.filters) ? f.filters[0] : undefined) as { relationType?: string; entityTypes?: string[] } | undefined;
  return {
    ...base,
    name: alias.alias,
    type: (FILTER_TYPES.some((t) => t.value === f.type) ? f.type : 'singleEntity') as AliasFilterType,
    entityType: f.singleEntity?.entityType ?? f.entityType ?? root?.entityType ?? base.entityType,
    entityId: f.singleEntity?.id ?? root?.id ?? null,
    entityIds: list(f.entityList),
    namePrefix: String(f.entityNameFilter ?? f.deviceNameFilter ?? f.assetNameFilter ?? ''),
    types: list(f.deviceTypes ?? f.assetTypes ?? (f.deviceType ? [f.deviceType] : [])),
    rootStateEntity: f.type === 'relationsQuery' ? Boolean(f.rootStateEntity) : base.rootStateEntity,
    direction: f.direction === 'TO' ? 'TO' : 'FROM',
    maxLevel: typeof f.maxLevel === 'number' ? f.maxLevel : base.maxLevel,
    relationType: firstFilter?.relationType ?? base.relationType,
    relatedTypes: firstFilter?.entityTypes ?? base.relatedTypes,
    stateParamName: String(f.stateEntityParamName ?? ''),
    resolveMultiple: alias.resolveMultiple !== false,
  };
}

/** Why the form cannot be saved yet, or null. */
export function formProblem(form: AliasForm, config: DashboardConfiguration, editing?: string): string | null {
  const name = form.name.trim();
  if (!name) return 'Give the alias a name';
  if (Object.values(config.entityAliases).some((a) => a.alias === name && a.id !== editing)) return 'An alias with this name exists';
  if (form.type === 'singleEntity' && !form.entityId) return 'Choose the entity';
  if (form.type === 'entityList' && !form.entityIds.length) return 'Choose at least one entity';
  if ((form.type === 'deviceType' || form.type === 'assetType') && !form.types.length) return 'Give at least one type';
  if (form.type === 'relationsQuery' && !form.rootStateEntity && !form.entityId) return 'Choose the root entity';
  return null;
}

/** A one-line description of an alias's filter, for the list. */
export function filterSummary(filter: EntityFilter): string {
  const label = FILTER_TYPES.find((t) => t.value === filter.type)?.label ?? filter.type;
  switch (filter.type) {
    case 'entityName':
      return `${label}: ${filter.entityType} starting with "${filter.entityNameFilter ?? ''}"`;
    case 'entityType':
      return `${label}: ${filter.entityType}`;
    case 'deviceType':
    case 'assetType': {
      const types = (filter.deviceTypes ?? (filter.assetTypes as string[] | undefined) ?? []).join(', ');
      return `${label}: ${types}`;
    }
    case 'entityList':
      return `${label}: ${(filter.entityList ?? []).length} ${filter.entityType}`;
    case 'relationsQuery':
      return `${label}: ${filter.direction ?? 'FROM'} ${filter.rootStateEntity ? 'the state entity' : 'a fixed entity'}`;
    default:
      return label;
  }
}

/** Titles of the widgets whose datasources use an alias. */
export function aliasUsage(config: DashboardConfiguration, aliasId: string): string[] {
  return Object.values(config.widgets)
    .filter((w) => w.config.datasources.some((d) => d.entityAliasId === aliasId))
    .map((w) => w.config.title || w.id);
}

export function saveAlias(config: DashboardConfiguration, alias: EntityAlias): DashboardConfiguration {
  return { ...config, entityAliases: { ...config.entityAliases, [alias.id]: alias } };
}

/** Delete an alias no widget uses; throws with the widgets' titles otherwise. */
export function deleteAlias(config: DashboardConfiguration, aliasId: string): DashboardConfiguration {
  const users = aliasUsage(config, aliasId);
  if (users.length) throw new Error(`The alias is used by: ${users.join(', ')}`);
  const entityAliases = { ...config.entityAliases };
  delete entityAliases[aliasId];
  return { ...config, entityAliases };
}
