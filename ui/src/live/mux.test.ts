import { describe, expect, it } from 'vitest';
import { CommandMux, envelope, replyId, type WsReply } from './mux';
import { FIRST_CMD_ID, isAuthClose } from './wire';

const ts = (entityId: string) => ({ type: 'TIMESERIES' as const, entityType: 'DEVICE', entityId });

function recorder() {
  const seen: WsReply[] = [];
  return { seen, handler: (reply: WsReply) => void seen.push(reply) };
}

describe('command mux', () => {
  it('allocates distinct ids above the parse-error id and keeps every subscription for a new session', () => {
    const mux = new CommandMux();
    const a = mux.subscribe(ts('a'), () => {});
    const b = mux.subscribe({ type: 'NOTIFICATIONS', limit: 5 }, () => {});
    expect(a).toBe(FIRST_CMD_ID);
    expect(b).toBe(FIRST_CMD_ID + 1);
    expect(mux.hasPending).toBe(false); // nothing is queued without a session
    expect(mux.attach()).toEqual([
      { type: 'TIMESERIES', entityType: 'DEVICE', entityId: 'a', cmdId: a },
      { type: 'NOTIFICATIONS', limit: 5, cmdId: b },
    ]);
  });

  it('queues the commands of one tick in order and drops a subscribe undone before it left', () => {
    const mux = new CommandMux();
    const kept = mux.subscribe(ts('kept'), () => {});
    mux.attach();
    const x = mux.subscribe(ts('x'), () => {});
    const y = mux.subscribe({ type: 'ALARM_DATA', query: {} }, () => {});
    mux.unsubscribe(x);
    mux.unsubscribe(kept);
    expect(mux.takePending()).toEqual([
      { type: 'ALARM_DATA', query: {}, cmdId: y },
      { type: 'TIMESERIES', entityType: 'DEVICE', entityId: 'kept', cmdId: kept, unsubscribe: true },
    ]);
    expect(mux.hasPending).toBe(false);
    mux.unsubscribe(y); // already sent: the server must hear of it
    expect(mux.takePending()).toEqual([{ type: 'ALARM_DATA_UNSUBSCRIBE', cmdId: y }]);
    expect(mux.size).toBe(0);
  });

  it('uses each type’s unsubscribe command', () => {
    const mux = new CommandMux();
    mux.attach();
    const ids = [
      mux.subscribe({ type: 'ATTRIBUTES', entityType: 'DEVICE', entityId: 'd', scope: 'SHARED_SCOPE' }, () => {}),
      mux.subscribe({ type: 'ENTITY_DATA', query: {} }, () => {}),
      mux.subscribe({ type: 'ENTITY_COUNT', query: {} }, () => {}),
      mux.subscribe({ type: 'ALARM_COUNT', query: {} }, () => {}),
      mux.subscribe({ type: 'ALARM_STATUS', originatorId: {} }, () => {}),
      mux.subscribe({ type: 'NOTIFICATIONS' }, () => {}),
      mux.subscribe({ type: 'NOTIFICATIONS_COUNT' }, () => {}),
    ];
    mux.takePending();
    for (const id of ids) mux.unsubscribe(id);
    expect(mux.takePending().map((c) => [c.type, c.cmdId, c.unsubscribe ?? false])).toEqual([
      ['ATTRIBUTES', ids[0], true],
      ['ENTITY_DATA_UNSUBSCRIBE', ids[1], false],
      ['ENTITY_COUNT_UNSUBSCRIBE', ids[2], false],
      ['ALARM_COUNT_UNSUBSCRIBE', ids[3], false],
      ['ALARM_STATUS_UNSUBSCRIBE', ids[4], false],
      ['NOTIFICATIONS_UNSUBSCRIBE', ids[5], false],
      ['NOTIFICATIONS_UNSUBSCRIBE', ids[6], false],
    ]);
  });

  it('forgets queued commands when the session goes; the next one gets only what is live', () => {
    const mux = new CommandMux();
    mux.attach();
    const a = mux.subscribe(ts('a'), () => {});
    const b = mux.subscribe(ts('b'), () => {});
    mux.takePending();
    mux.unsubscribe(a);
    mux.detach();
    expect(mux.hasPending).toBe(false);
    const c = mux.subscribe(ts('c'), () => {}); // while down
    expect(mux.hasPending).toBe(false);
    expect(mux.attach().map((cmd) => cmd.cmdId)).toEqual([b, c]);
    expect(mux.takePending()).toEqual([]);
  });

  it('routes v1 and v2 replies by id and ignores the rest', () => {
    const mux = new CommandMux();
    const first = recorder();
    const second = recorder();
    const a = mux.subscribe(ts('a'), first.handler);
    const b = mux.subscribe({ type: 'NOTIFICATIONS' }, second.handler);
    const v1 = JSON.stringify({ subscriptionId: a, errorCode: 0, data: { t: [[1, '2']] } });
    const v2 = JSON.stringify({ cmdId: b, cmdUpdateType: 'NOTIFICATIONS', totalUnreadCount: 3 });
    expect(mux.route(v1)).toBe(true);
    expect(mux.route(v2)).toBe(true);
    expect(first.seen).toEqual([{ cmdId: a, body: JSON.parse(v1), raw: v1 }]);
    expect(second.seen.map((r) => r.body.totalUnreadCount)).toEqual([3]);
    expect(mux.route(JSON.stringify({ subscriptionId: 1, errorCode: 2, errorMsg: 'Failed to parse the payload' }))).toBe(false);
    expect(mux.route('not json')).toBe(false);
    expect(mux.route('[1]')).toBe(false);
    mux.unsubscribe(a);
    expect(mux.route(v1)).toBe(false); // a late reply of an ended subscription
    expect(first.seen).toHaveLength(1);
  });

  it('reads reply ids and builds the envelope, with the auth command only when asked', () => {
    expect(replyId({ cmdId: 4 })).toBe(4);
    expect(replyId({ subscriptionId: 5 })).toBe(5);
    expect(replyId({ cmdId: 'x' })).toBeNull();
    const cmds = [{ type: 'TIMESERIES', cmdId: 2 }];
    expect(JSON.parse(envelope(cmds, 'jwt'))).toEqual({ authCmd: { cmdId: 0, token: 'jwt' }, cmds });
    expect(JSON.parse(envelope(cmds))).toEqual({ cmds });
  });

  it('knows which close codes are about the token', () => {
    expect(isAuthClose(1007, 'JWT expired')).toBe(true);
    expect(isAuthClose(1008, 'Auth cmd is missing')).toBe(true);
    expect(isAuthClose(1008, 'Max pending updates limit reached!')).toBe(false);
    expect(isAuthClose(1006, '')).toBe(false);
    expect(isAuthClose(1000, '')).toBe(false);
  });
});
