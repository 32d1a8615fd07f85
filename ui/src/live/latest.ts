/**
 * Latest telemetry that keeps itself current. Two sources behind one interface: a
 * TIMESERIES subscription on the tab's shared `/api/ws` connection (spec §4, `socket.ts`)
 * and polling the REST latest-values endpoint. `liveLatest` uses the socket and polls while
 * the socket cannot serve (no WebSocket endpoint, or reconnecting after a drop), so the UI
 * works against nodes with and without it. This module holds the pure parts.
 */

import type { EntityId, LatestTelemetry } from '../api/types';
import type { SubscribeCommand } from './wire';

export type LiveMode = 'connecting' | 'websocket' | 'polling';

export interface LatestListener {
  /** New or changed keys (a full snapshot first). */
  onData(update: LatestTelemetry): void;
  onMode?(mode: LiveMode): void;
  onError?(message: string): void;
}

export interface Subscription {
  close(): void;
}

export interface LatestSource {
  subscribe(entity: EntityId, listener: LatestListener): Subscription;
}

/** Keeps, per key, whichever point is newer. */
export function mergeLatest(current: LatestTelemetry, update: LatestTelemetry): LatestTelemetry {
  let changed = false;
  const next: LatestTelemetry = { ...current };
  for (const [key, point] of Object.entries(update)) {
    const known = current[key];
    if (!known || point.ts > known.ts || (point.ts === known.ts && point.value !== known.value)) {
      next[key] = point;
      changed = true;
    }
  }
  return changed ? next : current;
}

/** The TIMESERIES subscription of one entity's latest values (every key). */
export function timeseriesCommand(entity: EntityId): SubscribeCommand {
  return { type: 'TIMESERIES', entityType: entity.entityType, entityId: entity.id };
}

export type WsUpdate =
  | { kind: 'data'; latest: LatestTelemetry }
  | { kind: 'error'; message: string };

/**
 * Reads one v1 update (`{subscriptionId, errorCode, errorMsg, data: {key: [[ts, value]]}}`),
 * already routed to its subscription. Values arrive as strings; numeric strings become
 * numbers so they match the REST view.
 */
export function parseWsUpdate(update: Record<string, unknown>): WsUpdate {
  if (typeof update.errorCode === 'number' && update.errorCode !== 0) {
    const reason = typeof update.errorMsg === 'string' ? update.errorMsg : 'subscription refused';
    return { kind: 'error', message: reason };
  }
  const latest: LatestTelemetry = {};
  if (typeof update.data === 'object' && update.data !== null) {
    for (const [key, points] of Object.entries(update.data as Record<string, unknown>)) {
      if (!Array.isArray(points)) continue;
      for (const point of points) {
        if (!Array.isArray(point) || typeof point[0] !== 'number') continue;
        const ts = point[0];
        const value = typeof point[1] === 'string' ? numericOrText(point[1]) : point[1];
        const known = latest[key];
        if (!known || ts > known.ts) latest[key] = { ts, value };
      }
    }
  }
  return { kind: 'data', latest };
}

function numericOrText(value: string): unknown {
  return value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value;
}
