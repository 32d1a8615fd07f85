/**
 * A subscription on the shared socket with a stand-in for when the socket cannot serve: while
 * the connection is down (reconnecting, or no WebSocket in this browser) the fallback runs —
 * typically REST polling — and it stops again once the socket is back, whose resubscription
 * starts with a fresh snapshot. So a node without `/api/ws`, or a dropped link, still shows data.
 */

import type { ReplyHandler } from './mux';
import type { ConnectionState, LiveSocket } from './socket';
import type { SubscribeCommand } from './wire';

/** States in which the socket delivers nothing and the fallback has to. */
const DOWN: ReadonlySet<ConnectionState> = new Set(['reconnecting', 'unavailable']);

/** Starts a fallback; returns its stop. */
export type Fallback = () => () => void;

export function followOrFallback(
  socket: Pick<LiveSocket, 'subscribe' | 'onState'>,
  command: SubscribeCommand,
  handler: ReplyHandler,
  fallback: Fallback,
): () => void {
  let stopFallback: (() => void) | null = null;
  const unsubscribe = socket.subscribe(command, handler);
  const stopWatching = socket.onState((state) => {
    if (DOWN.has(state)) {
      stopFallback ??= fallback();
    } else if (state === 'open' && stopFallback) {
      stopFallback();
      stopFallback = null;
    }
  });
  return () => {
    stopWatching();
    unsubscribe();
    stopFallback?.();
    stopFallback = null;
  };
}
