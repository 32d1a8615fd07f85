import { describe, expect, it } from 'vitest';
import { mergeLatest, parseWsUpdate, timeseriesCommand, wsUrl } from './latest';

describe('mergeLatest', () => {
  it('keeps the newer point per key and the same object when nothing changed', () => {
    const current = { t: { ts: 10, value: 1 }, p: { ts: 10, value: 5 } };
    const next = mergeLatest(current, { t: { ts: 20, value: 2 }, p: { ts: 5, value: 4 }, h: { ts: 1, value: 9 } });
    expect(next).toEqual({ t: { ts: 20, value: 2 }, p: { ts: 10, value: 5 }, h: { ts: 1, value: 9 } });
    expect(mergeLatest(next, { t: { ts: 20, value: 2 } })).toBe(next);
  });
});

describe('WebSocket messages', () => {
  it('builds the /api/ws envelope with the auth command first', () => {
    const sent = JSON.parse(timeseriesCommand('jwt', 7, { entityType: 'DEVICE', id: 'd1' }));
    expect(sent).toEqual({
      authCmd: { cmdId: 0, token: 'jwt' },
      cmds: [{ type: 'TIMESERIES', cmdId: 7, entityType: 'DEVICE', entityId: 'd1' }],
    });
  });
  it('reads the newest point of each key, numbers as numbers', () => {
    const text = JSON.stringify({
      subscriptionId: 7,
      errorCode: 0,
      data: { t: [[100, '21.5'], [200, '22']], s: [[50, 'on']] },
    });
    expect(parseWsUpdate(text, 7)).toEqual({
      kind: 'data',
      latest: { t: { ts: 200, value: 22 }, s: { ts: 50, value: 'on' } },
    });
  });
  it('ignores other subscriptions and garbage, reports refusals', () => {
    expect(parseWsUpdate(JSON.stringify({ subscriptionId: 8, data: {} }), 7).kind).toBe('ignored');
    expect(parseWsUpdate('not json', 7).kind).toBe('ignored');
    expect(parseWsUpdate(JSON.stringify({ subscriptionId: 7, errorCode: 3, errorMsg: 'Unauthorized' }), 7)).toEqual({
      kind: 'error',
      message: 'Unauthorized',
    });
  });
  it('derives the socket address from the page', () => {
    expect(wsUrl({ protocol: 'https:', host: 'plant.example:8443' })).toBe('wss://plant.example:8443/api/ws');
    expect(wsUrl({ protocol: 'http:', host: 'localhost:8080' })).toBe('ws://localhost:8080/api/ws');
  });
});
