import { describe, expect, it } from 'vitest';
import type { EntityId, LatestTelemetry } from '../api/types';
import type { LatestListener, LatestSource, LiveMode } from './latest';
import type { ReplyHandler } from './mux';
import type { ConnectionState, StateListener } from './socket';
import { socketSource } from './sources';
import type { SubscribeCommand } from './wire';

/** The socket as the source sees it: subscriptions and a state the test moves. */
function fakeSocket() {
  const handlers = new Map<number, ReplyHandler>();
  const commands = new Map<number, SubscribeCommand>();
  const stateListeners = new Set<StateListener>();
  let state: ConnectionState = 'connecting';
  let next = 2;
  return {
    socket: {
      subscribe(command: SubscribeCommand, handler: ReplyHandler) {
        const id = next++;
        handlers.set(id, handler);
        commands.set(id, command);
        return () => void (handlers.delete(id), commands.delete(id));
      },
      onState(listener: StateListener) {
        stateListeners.add(listener);
        listener(state);
        return () => void stateListeners.delete(listener);
      },
    },
    commands,
    reply(body: Record<string, unknown>) {
      for (const [cmdId, handler] of handlers) handler({ cmdId, body: { subscriptionId: cmdId, ...body }, raw: '' });
    },
    move(to: ConnectionState) {
      state = to;
      for (const listener of stateListeners) listener(to);
    },
  };
}

function fakePolling() {
  let running = 0;
  const source: LatestSource = {
    subscribe(_entity: EntityId, listener: LatestListener) {
      running += 1;
      listener.onMode?.('polling');
      return { close: () => void (running -= 1) };
    },
  };
  return { source, running: () => running };
}

function listener() {
  const data: LatestTelemetry[] = [];
  const modes: LiveMode[] = [];
  const errors: string[] = [];
  return {
    data,
    modes,
    errors,
    listener: { onData: (u: LatestTelemetry) => data.push(u), onMode: (m: LiveMode) => modes.push(m), onError: (e: string) => errors.push(e) },
  };
}

const DEVICE: EntityId = { entityType: 'DEVICE', id: 'd1' };

describe('latest values over the shared socket', () => {
  it('subscribes TIMESERIES, hands over data and polls only while the socket is down', () => {
    const fake = fakeSocket();
    const polling = fakePolling();
    const seen = listener();
    const sub = socketSource(fake.socket, polling.source).subscribe(DEVICE, seen.listener);
    expect([...fake.commands.values()]).toEqual([{ type: 'TIMESERIES', entityType: 'DEVICE', entityId: 'd1' }]);
    fake.move('open');
    fake.reply({ errorCode: 0, data: { t: [[5, '20.5']] } });
    expect(seen.data).toEqual([{ t: { ts: 5, value: 20.5 } }]);
    fake.move('reconnecting');
    expect(polling.running()).toBe(1);
    fake.move('open');
    expect(polling.running()).toBe(0);
    expect(seen.modes).toEqual(['connecting', 'websocket', 'polling']);
    sub.close();
    expect(fake.commands.size).toBe(0);
  });

  it('polls for good once the server refuses the subscription', () => {
    const fake = fakeSocket();
    const polling = fakePolling();
    const seen = listener();
    const sub = socketSource(fake.socket, polling.source).subscribe(DEVICE, seen.listener);
    fake.move('open');
    fake.reply({ errorCode: 3, errorMsg: 'Unauthorized' });
    expect(seen.errors).toEqual(['Unauthorized']);
    expect(fake.commands.size).toBe(0);
    expect(polling.running()).toBe(1);
    fake.move('reconnecting'); // no second poller
    expect(polling.running()).toBe(1);
    sub.close();
    expect(polling.running()).toBe(0);
  });
});
