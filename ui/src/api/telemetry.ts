/** Attributes and latest telemetry of an entity (spec §3.5). */

import { api } from './instance';
import type { AttributeEntry, AttributeScope, EntityId, LatestTelemetry } from './types';

const base = (entity: EntityId): string =>
  `/api/plugins/telemetry/${entity.entityType}/${entity.id}`;

export const attributes = (entity: EntityId, scope: AttributeScope): Promise<AttributeEntry[]> =>
  api.get(`${base(entity)}/values/attributes/${scope}`);

export const saveAttributes = (
  entity: EntityId,
  scope: AttributeScope,
  values: Record<string, unknown>,
): Promise<void> => api.post(`${base(entity)}/attributes/${scope}`, values);

export const deleteAttributes = (
  entity: EntityId,
  scope: AttributeScope,
  keys: string[],
): Promise<void> => api.delete(`${base(entity)}/${scope}`, { keys: keys.join(',') });

type LatestWire = Record<string, { ts: number; value: unknown }[]>;

/** Newest point of every key; strict types keep numbers numbers. */
export async function latestTelemetry(entity: EntityId): Promise<LatestTelemetry> {
  const wire = await api.get<LatestWire>(`${base(entity)}/values/timeseries`, {
    useStrictDataTypes: true,
  });
  const latest: LatestTelemetry = {};
  for (const [key, points] of Object.entries(wire)) {
    const point = points[0];
    if (point) latest[key] = point;
  }
  return latest;
}
