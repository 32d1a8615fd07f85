/**
 * A dashboard's time window (real-time "last N" or a fixed history range) and the history
 * query it becomes. The aggregation interval is chosen from the range so that any range
 * loads as at most `MAX_POINTS` points per key (a month of data → a few hundred points);
 * short ranges load raw points.
 */

import type { Timewindow } from './types';

export const MAX_POINTS = 300;
/** Ranges this short are loaded raw (no aggregation). */
export const RAW_RANGE_MS = 10 * 60_000;
export const RAW_LIMIT = 2000;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Intervals a person reads easily; the smallest that keeps the point count is chosen. */
export const NICE_INTERVALS = [
  SECOND, 2 * SECOND, 5 * SECOND, 10 * SECOND, 15 * SECOND, 30 * SECOND,
  MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE,
  HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 7 * DAY, 30 * DAY,
];

export type Aggregation = 'NONE' | 'AVG' | 'MIN' | 'MAX' | 'SUM' | 'COUNT';

export interface HistoryQuery {
  startTs: number;
  endTs: number;
  agg: Aggregation;
  /** Milliseconds per aggregated point; 0 when raw. */
  interval: number;
  limit: number;
}

export interface WindowRange {
  startTs: number;
  endTs: number;
  realtime: boolean;
}

export const DEFAULT_TIMEWINDOW: Timewindow = {
  selectedTab: 0,
  realtime: { realtimeType: 0, timewindowMs: 15 * MINUTE },
  aggregation: { type: 'AVG', limit: 25000 },
};

/** Whether the window follows the clock (real-time tab) or is a fixed range. */
export function isRealtime(window: Timewindow): boolean {
  return (window.selectedTab ?? 0) === 0 || !window.history?.fixedTimewindow;
}

/** The absolute range of `window` at time `now`. */
export function rangeOf(window: Timewindow, now: number): WindowRange {
  if (!isRealtime(window) && window.history?.fixedTimewindow) {
    const { startTimeMs, endTimeMs } = window.history.fixedTimewindow;
    return { startTs: Math.min(startTimeMs, endTimeMs), endTs: Math.max(startTimeMs, endTimeMs), realtime: false };
  }
  const span = window.realtime?.timewindowMs ?? DEFAULT_TIMEWINDOW.realtime!.timewindowMs;
  return { startTs: now - span, endTs: now, realtime: true };
}

/** The interval for a range: the smallest nice interval giving at most `maxPoints` points. */
export function intervalFor(rangeMs: number, maxPoints = MAX_POINTS): number {
  const needed = rangeMs / maxPoints;
  for (const interval of NICE_INTERVALS) if (interval >= needed) return interval;
  return Math.ceil(needed / DAY) * DAY;
}

/** The history query of `window`: raw for short ranges, else aggregated (AVG by default). */
export function historyQuery(window: Timewindow, now: number): HistoryQuery {
  const { startTs, endTs } = rangeOf(window, now);
  const range = Math.max(endTs - startTs, 1);
  const wanted = (window.aggregation?.type ?? 'AVG') as Aggregation;
  if (range <= RAW_RANGE_MS || wanted === 'NONE') {
    return { startTs, endTs, agg: 'NONE', interval: 0, limit: RAW_LIMIT };
  }
  const interval = intervalFor(range);
  return { startTs, endTs, agg: wanted, interval, limit: Math.ceil(range / interval) + 1 };
}

/** "Last 15 minutes", "Last 2 hours", or the fixed range in the browser's zone. */
export function describeWindow(window: Timewindow): string {
  if (!isRealtime(window) && window.history?.fixedTimewindow) {
    const { startTimeMs, endTimeMs } = window.history.fixedTimewindow;
    const fmt = (ms: number) => new Date(ms).toLocaleString();
    return `${fmt(startTimeMs)} – ${fmt(endTimeMs)}`;
  }
  return `Last ${describeSpan(window.realtime?.timewindowMs ?? 0)}`;
}

export function describeSpan(ms: number): string {
  const units: [number, string][] = [[DAY, 'day'], [HOUR, 'hour'], [MINUTE, 'minute'], [SECOND, 'second']];
  for (const [size, name] of units) {
    if (ms >= size && ms % size === 0) {
      const n = ms / size;
      return `${n} ${name}${n === 1 ? '' : 's'}`;
    }
  }
  return `${Math.round(ms / SECOND)} seconds`;
}

/** The real-time spans the picker offers. */
export const REALTIME_CHOICES: { label: string; ms: number }[] = [
  { label: 'Last 1 minute', ms: MINUTE },
  { label: 'Last 5 minutes', ms: 5 * MINUTE },
  { label: 'Last 15 minutes', ms: 15 * MINUTE },
  { label: 'Last 1 hour', ms: HOUR },
  { label: 'Last 6 hours', ms: 6 * HOUR },
  { label: 'Last 1 day', ms: DAY },
  { label: 'Last 7 days', ms: 7 * DAY },
  { label: 'Last 30 days', ms: 30 * DAY },
];
