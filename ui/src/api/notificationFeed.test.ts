import { describe, expect, it } from 'vitest';
import { applyUpdate, FEED_LIMIT, INITIAL_FEED, subscribeCommand } from './notificationFeed';

const note = (id: string, subject = id) => ({
  id: { entityType: 'NOTIFICATION' as const, id },
  createdTime: 1,
  type: 'GENERAL',
  subject,
  text: `text ${id}`,
  status: 'SENT' as const,
});

describe('notification feed', () => {
  it('takes the snapshot and the unread count', () => {
    const msg = { cmdId: 1, notifications: [note('a'), note('b')], update: null, totalUnreadCount: 7, errorCode: 0 };
    const next = applyUpdate(INITIAL_FEED, JSON.stringify(msg), 1);
    expect(next.unread).toBe(7);
    expect(next.latest.map((n) => n.id.id)).toEqual(['a', 'b']);
    expect(next.mode).toBe('websocket');
    expect(next.version).toBe(1);
  });

  it('puts a pushed notification first, once, within the limit', () => {
    let state = applyUpdate(INITIAL_FEED, JSON.stringify({ cmdId: 1, notifications: [1, 2, 3, 4, 5].map((i) => note(String(i))), totalUnreadCount: 5 }), 1);
    state = applyUpdate(state, JSON.stringify({ cmdId: 1, notifications: null, update: note('new'), totalUnreadCount: 6 }), 1);
    expect(state.latest).toHaveLength(FEED_LIMIT);
    expect(state.latest[0]?.id.id).toBe('new');
    expect(state.unread).toBe(6);
    const again = applyUpdate(state, JSON.stringify({ cmdId: 1, update: note('new', 'changed'), totalUnreadCount: 6 }), 1);
    expect(again.latest.filter((n) => n.id.id === 'new')).toHaveLength(1);
    expect(again.latest[0]?.subject).toBe('changed');
  });

  it('ignores other subscriptions, errors and garbage', () => {
    expect(applyUpdate(INITIAL_FEED, JSON.stringify({ cmdId: 2, totalUnreadCount: 3 }), 1)).toBe(INITIAL_FEED);
    expect(applyUpdate(INITIAL_FEED, JSON.stringify({ cmdId: 1, errorCode: 3, errorMsg: 'no' }), 1)).toBe(INITIAL_FEED);
    expect(applyUpdate(INITIAL_FEED, 'not json', 1)).toBe(INITIAL_FEED);
  });

  it('authenticates in the first message', () => {
    expect(JSON.parse(subscribeCommand('jwt', 4))).toEqual({
      authCmd: { cmdId: 0, token: 'jwt' },
      cmds: [{ type: 'NOTIFICATIONS', cmdId: 4, limit: FEED_LIMIT }],
    });
  });
});
