/**
 * The two latest-telemetry sources and the one the UI uses (`liveLatest`): WebSocket first,
 * REST polling when the socket cannot be opened or drops. Switch point: set
 * `PREFER_WEBSOCKET` to false to poll only.
 */

import { latestTelemetry } from '../api/telemetry';
import { api } from '../api/instance';
import type { EntityId } from '../api/types';
import { describeError } from '../api/errors';
import type { LatestListener, LatestSource, Subscription } from './latest';
import { parseWsUpdate, timeseriesCommand, wsUrl } from './latest';

export const PREFER_WEBSOCKET = true;
export const POLL_INTERVAL_MS = 2000;

export const pollingSource: LatestSource = {
  subscribe(entity: EntityId, listener: LatestListener): Subscription {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    listener.onMode?.('polling');
    const tick = async (): Promise<void> => {
      try {
        const latest = await latestTelemetry(entity);
        if (!stopped) listener.onData(latest);
      } catch (error) {
        if (!stopped) listener.onError?.(describeError(error));
      }
      if (!stopped) timer = setTimeout(() => void tick(), POLL_INTERVAL_MS);
    };
    void tick();
    return {
      close() {
        stopped = true;
        clearTimeout(timer);
      },
    };
  },
};

/** A WebSocket subscription; `onFail` is called (once) when it cannot serve any more. */
function openSocket(entity: EntityId, listener: LatestListener, onFail: () => void): Subscription {
  const cmdId = 1;
  let closed = false;
  let failed = false;
  const fail = (): void => {
    if (closed || failed) return;
    failed = true;
    onFail();
  };
  let socket: WebSocket | null = null;
  void api.freshToken().then((token) => {
    if (closed) return;
    if (!token) return fail();
    try {
      socket = new WebSocket(wsUrl(window.location));
    } catch {
      return fail();
    }
    socket.onopen = () => socket?.send(timeseriesCommand(token, cmdId, entity));
    socket.onmessage = (event: MessageEvent<string>) => {
      const update = parseWsUpdate(event.data, cmdId);
      if (update.kind === 'data') {
        listener.onMode?.('websocket');
        listener.onData(update.latest);
      } else if (update.kind === 'error') {
        listener.onError?.(update.message);
        fail();
      }
    };
    socket.onerror = fail;
    socket.onclose = fail;
  });
  return {
    close() {
      closed = true;
      socket?.close();
    },
  };
}

/** WebSocket while it works, polling after it fails. */
export const liveLatest: LatestSource = {
  subscribe(entity: EntityId, listener: LatestListener): Subscription {
    if (!PREFER_WEBSOCKET || typeof WebSocket === 'undefined') {
      return pollingSource.subscribe(entity, listener);
    }
    listener.onMode?.('connecting');
    let current: Subscription = openSocket(entity, listener, () => {
      current.close();
      current = pollingSource.subscribe(entity, listener);
    });
    return {
      close() {
        current.close();
      },
    };
  },
};
