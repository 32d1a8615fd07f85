import { describe, expect, it } from 'vitest';
import { mergeLatest, parseWsUpdate, timeseriesCommand } from './latest';

describe('mergeLatest', () => {
  it('keeps the newer point per key and the same object when nothing changed', () => {
    const current = { t: { ts: 10, value: 1 }, p: { ts: 10, value: 5 } };
    const next = mergeLatest(current, { t: { ts: 20, value: 2 }, p: { ts: 5, value: 4 }, h: { ts: 1, value: 9 } });
    expect(next).toEqual({ t: { ts: 20, value: 2 }, p: { ts: 10, value: 5 }, h: { ts: 1, value: 9 } });
    expect(mergeLatest(next, { t: { ts: 20, value: 2 } })).toBe(next);
  });
});

describe('WebSocket messages', () => {
  it('subscribes to every key of one entity', () => {
    expect(timeseriesCommand({ entityType: 'DEVICE', id: 'd1' })).toEqual({
      type: 'TIMESERIES',
      entityType: 'DEVICE',
      entityId: 'd1',
    });
  });
  it('reads the newest point of each key, numbers as numbers', () => {
    const update = {
      subscriptionId: 7,
      errorCode: 0,
      data: { t: [[100, '21.5'], [200, '22']], s: [[50, 'on']] },
    };
    expect(parseWsUpdate(update)).toEqual({
      kind: 'data',
      latest: { t: { ts: 200, value: 22 }, s: { ts: 50, value: 'on' } },
    });
  });
  it('skips malformed points and reports refusals', () => {
    expect(parseWsUpdate({ subscriptionId: 7, data: { t: 'x', u: [['a', '1'], [5, '2']] } })).toEqual({
      kind: 'data',
      latest: { u: { ts: 5, value: 2 } },
    });
    expect(parseWsUpdate({ subscriptionId: 7, errorCode: 3, errorMsg: 'Unauthorized' })).toEqual({
      kind: 'error',
      message: 'Unauthorized',
    });
  });
});
