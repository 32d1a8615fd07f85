/**
 * The signed-in user's unread notifications, kept current by one shared NOTIFICATIONS
 * subscription on `/api/ws` (spec §4.4, §4.5): the first reply is a snapshot of the newest
 * unread ones and `totalUnreadCount`; later a new notification arrives alone in `update`,
 * and a read or delete re-sends the list. The bell and the inbox share one subscription
 * (made for the first listener, ended after the last) on the tab's shared socket
 * (`live/socket.ts`). While that socket is down the feed polls the REST unread count
 * instead. `applyUpdate` is the pure part.
 */

import { followOrFallback } from '../live/fallback';
import { liveSocket } from '../live/socket';
import { describeError } from './errors';
import type { Notification } from './notifications';
import { unreadCount } from './notifications';

export const FEED_LIMIT = 5;
export const FEED_POLL_MS = 15_000;

export interface FeedState {
  unread: number;
  latest: Notification[];
  mode: 'connecting' | 'websocket' | 'polling';
  /** Bumped on every change, so pages can reload their own lists. */
  version: number;
}

export const INITIAL_FEED: FeedState = { unread: 0, latest: [], mode: 'connecting', version: 0 };

interface WireUpdate {
  cmdId?: unknown;
  errorCode?: unknown;
  notifications?: unknown;
  update?: unknown;
  totalUnreadCount?: unknown;
}

/** The state after one server message for subscription `cmdId`; the same object when it is not ours. */
export function applyUpdate(state: FeedState, text: string, cmdId: number): FeedState {
  let message: WireUpdate;
  try {
    message = JSON.parse(text) as WireUpdate;
  } catch {
    return state;
  }
  if (typeof message !== 'object' || message === null || message.cmdId !== cmdId) return state;
  if (typeof message.errorCode === 'number' && message.errorCode !== 0) return state;
  let latest = state.latest;
  if (Array.isArray(message.notifications)) {
    latest = (message.notifications as Notification[]).slice(0, FEED_LIMIT);
  } else if (message.update && typeof message.update === 'object') {
    const added = message.update as Notification;
    latest = [added, ...state.latest.filter((n) => n.id.id !== added.id.id)].slice(0, FEED_LIMIT);
  }
  const unread = typeof message.totalUnreadCount === 'number' ? message.totalUnreadCount : state.unread;
  return { unread, latest, mode: 'websocket', version: state.version + 1 };
}

/** The subscription command, authenticated in the same first message. */
export function subscribeCommand(token: string, cmdId: number): string {
  return JSON.stringify({
    authCmd: { cmdId: 0, token },
    cmds: [{ type: 'NOTIFICATIONS', cmdId, limit: FEED_LIMIT }],
  });
}

type Listener = (state: FeedState) => void;

let state: FeedState = INITIAL_FEED;
const listeners = new Set<Listener>();
let stop: (() => void) | null = null;

function publish(next: FeedState): void {
  state = next;
  for (const listener of listeners) listener(state);
}

function poll(): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = async (): Promise<void> => {
    try {
      const unread = await unreadCount();
      if (!stopped && unread !== state.unread) publish({ ...state, unread, mode: 'polling', version: state.version + 1 });
      else if (!stopped && state.mode !== 'polling') publish({ ...state, mode: 'polling' });
    } catch (error) {
      if (!stopped) console.warn('notification count failed', describeError(error));
    }
    if (!stopped) timer = setTimeout(() => void tick(), FEED_POLL_MS);
  };
  void tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/** The subscription on the tab's shared socket; REST count polling while that socket is down. */
function connect(): () => void {
  return followOrFallback(
    liveSocket,
    { type: 'NOTIFICATIONS', limit: FEED_LIMIT },
    (reply) => {
      const next = applyUpdate(state, reply.raw, reply.cmdId);
      if (next !== state) publish(next);
    },
    poll,
  );
}

/** Follow the feed; the listener gets the current state at once. Returns the unsubscribe. */
export function followNotifications(listener: Listener): () => void {
  listeners.add(listener);
  listener(state);
  stop ??= connect();
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && stop) {
      stop();
      stop = null;
      state = INITIAL_FEED;
    }
  };
}
