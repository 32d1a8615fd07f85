/**
 * Latest telemetry that keeps itself current. Two sources behind one interface: the
 * WebSocket API (spec §4, a TIMESERIES subscription on `/api/ws`) and polling the REST
 * latest-values endpoint. `liveLatest` tries the WebSocket first and falls back to
 * polling when the node does not offer it (or the socket drops), so the UI works against
 * nodes with and without the WebSocket endpoint. This module holds the pure parts.
 */

import type { EntityId, LatestTelemetry } from '../api/types';

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

/** The subscription commands of the `/api/ws` envelope for one entity's latest values. */
export function timeseriesCommand(token: string, cmdId: number, entity: EntityId): string {
  return JSON.stringify({
    authCmd: { cmdId: 0, token },
    cmds: [
      { type: 'TIMESERIES', cmdId, entityType: entity.entityType, entityId: entity.id },
    ],
  });
}

export type WsUpdate =
  | { kind: 'data'; latest: LatestTelemetry }
  | { kind: 'error'; message: string }
  | { kind: 'ignored' };

/**
 * Reads one v1 update (`{subscriptionId, errorCode, errorMsg, data: {key: [[ts, value]]}}`).
 * Values arrive as strings; numeric strings become numbers so they match the REST view.
 */
export function parseWsUpdate(text: string, cmdId: number): WsUpdate {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return { kind: 'ignored' };
  }
  if (typeof message !== 'object' || message === null) return { kind: 'ignored' };
  const update = message as {
    subscriptionId?: unknown;
    errorCode?: unknown;
    errorMsg?: unknown;
    data?: unknown;
  };
  if (update.subscriptionId !== cmdId) return { kind: 'ignored' };
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

/** The WebSocket URL of the page's own origin. */
export function wsUrl(location: { protocol: string; host: string }, path = '/api/ws'): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${path}`;
}
