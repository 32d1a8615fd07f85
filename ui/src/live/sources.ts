/**
 * The two latest-telemetry sources and the one the UI uses (`liveLatest`): a TIMESERIES
 * subscription on the tab's shared WebSocket (`socket.ts`), REST polling while that socket
 * cannot serve, and polling for good once the server refuses the subscription (the REST
 * answer then says why). Switch point: set `PREFER_WEBSOCKET` to false to poll only.
 */

import { latestTelemetry } from '../api/telemetry';
import type { EntityId } from '../api/types';
import { describeError } from '../api/errors';
import { followOrFallback } from './fallback';
import type { LatestListener, LatestSource, Subscription } from './latest';
import { parseWsUpdate, timeseriesCommand } from './latest';
import { liveSocket, type LiveSocket } from './socket';

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

/** Latest values over `socket`, with `fallback` while it is down or after a refusal. */
export function socketSource(socket: Pick<LiveSocket, 'subscribe' | 'onState'>, fallback: LatestSource): LatestSource {
  return {
    subscribe(entity: EntityId, listener: LatestListener): Subscription {
      listener.onMode?.('connecting');
      let refused: Subscription | null = null;
      const stop = followOrFallback(
        socket,
        timeseriesCommand(entity),
        (reply) => {
          if (refused) return;
          const update = parseWsUpdate(reply.body);
          if (update.kind === 'data') {
            listener.onMode?.('websocket');
            listener.onData(update.latest);
            return;
          }
          listener.onError?.(update.message);
          stop();
          refused = fallback.subscribe(entity, listener);
        },
        () => fallback.subscribe(entity, listener).close,
      );
      return {
        close() {
          stop();
          refused?.close();
        },
      };
    },
  };
}

/** The shared WebSocket while it works, polling when it cannot. */
export const liveLatest: LatestSource =
  PREFER_WEBSOCKET && typeof WebSocket !== 'undefined' ? socketSource(liveSocket, pollingSource) : pollingSource;
