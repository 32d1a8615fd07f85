import { describe, expect, it } from 'vitest';
import { describeSpan, historyQuery, intervalFor, MAX_POINTS, rangeOf } from './timewindow';
import type { Timewindow } from './types';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const NOW = 1_700_000_000_000;

const realtime = (ms: number): Timewindow => ({ selectedTab: 0, realtime: { timewindowMs: ms } });
const history = (start: number, end: number): Timewindow => ({
  selectedTab: 1,
  history: { historyType: 1, fixedTimewindow: { startTimeMs: start, endTimeMs: end } },
});

describe('time window → history query', () => {
  it('loads a short real-time window raw', () => {
    const q = historyQuery(realtime(5 * MINUTE), NOW);
    expect(q).toMatchObject({ startTs: NOW - 5 * MINUTE, endTs: NOW, agg: 'NONE', interval: 0 });
  });

  it('aggregates a month into a few hundred points', () => {
    const q = historyQuery(history(NOW - 30 * DAY, NOW), NOW);
    expect(q.agg).toBe('AVG');
    expect(q.interval).toBe(3 * HOUR);
    const points = (q.endTs - q.startTs) / q.interval;
    expect(points).toBeGreaterThan(100);
    expect(points).toBeLessThanOrEqual(MAX_POINTS);
  });

  it('keeps every range under the point budget with a nice interval', () => {
    for (const range of [11 * MINUTE, HOUR, 6 * HOUR, DAY, 7 * DAY, 90 * DAY, 3 * 365 * DAY]) {
      const interval = intervalFor(range);
      expect(range / interval).toBeLessThanOrEqual(MAX_POINTS);
      expect(range / interval).toBeGreaterThan(MAX_POINTS / 12);
    }
  });

  it('uses the chosen aggregation function and a fixed range as given', () => {
    const window: Timewindow = { ...history(NOW, NOW - DAY), aggregation: { type: 'MAX' } };
    const q = historyQuery(window, NOW + 5 * DAY);
    expect(q).toMatchObject({ startTs: NOW - DAY, endTs: NOW, agg: 'MAX', interval: 5 * MINUTE });
    expect(rangeOf(window, 0).realtime).toBe(false);
  });

  it('falls back to real time when the history tab has no range', () => {
    expect(rangeOf({ selectedTab: 1, realtime: { timewindowMs: HOUR } }, NOW)).toEqual({
      startTs: NOW - HOUR,
      endTs: NOW,
      realtime: true,
    });
  });

  it('describes spans', () => {
    expect(describeSpan(15 * MINUTE)).toBe('15 minutes');
    expect(describeSpan(DAY)).toBe('1 day');
  });
});
