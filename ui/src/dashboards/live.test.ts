import { describe, expect, it, vi } from 'vitest';
import type { EntityId } from '../api/types';
import type { LatestListener, LatestSource } from '../live/latest';
import { LiveSocket, type SocketLike } from '../live/socket';
import { socketSource } from '../live/sources';
import { LiveHub, type LiveFrame } from './live';

const DEVICE: EntityId = { entityType: 'DEVICE', id: 'd1' };

function fakeSource() {
  const listeners = new Map<string, LatestListener>();
  let opened = 0;
  let closed = 0;
  const source: LatestSource = {
    subscribe(entity, listener) {
      opened += 1;
      listeners.set(entity.id, listener);
      return { close: () => void (closed += 1) };
    },
  };
  return { source, push: (id: string, data: Record<string, { ts: number; value: unknown }>) => listeners.get(id)!.onData(data), counts: () => ({ opened, closed }) };
}

function manualFrames() {
  const queue: (() => void)[] = [];
  return { schedule: (cb: () => void) => void queue.push(cb), run: () => queue.splice(0).forEach((cb) => cb()), size: () => queue.length };
}

describe('live hub', () => {
  it('shares one subscription per entity and closes it with the last widget', () => {
    const { source, counts } = fakeSource();
    const hub = new LiveHub(source, manualFrames().schedule, 0);
    const stopA = hub.watch(DEVICE, () => {});
    const stopB = hub.watch(DEVICE, () => {});
    expect(counts()).toEqual({ opened: 1, closed: 0 });
    stopA();
    expect(counts().closed).toBe(0);
    stopB();
    expect(counts()).toEqual({ opened: 1, closed: 1 });
  });

  it('keeps a subscription through a remount within the grace period', () => {
    vi.useFakeTimers();
    try {
      const { source, counts } = fakeSource();
      const hub = new LiveHub(source, manualFrames().schedule, 1000);
      hub.watch(DEVICE, () => {})();
      hub.watch(DEVICE, () => {})();
      expect(counts()).toEqual({ opened: 1, closed: 0 });
      vi.advanceTimersByTime(1000);
      expect(counts()).toEqual({ opened: 1, closed: 1 });
    } finally {
      vi.useRealTimers();
    }
  });

  it('delivers many updates as one frame, with every new point in order', () => {
    const { source, push } = fakeSource();
    const frames = manualFrames();
    const hub = new LiveHub(source, frames.schedule);
    const seen: LiveFrame[] = [];
    hub.watch(DEVICE, (frame) => seen.push(frame));
    push('d1', { temperature: { ts: 1, value: 20 } });
    push('d1', { temperature: { ts: 2, value: 21 } });
    push('d1', { humidity: { ts: 2, value: 50 } });
    push('d1', { temperature: { ts: 2, value: 21 } }); // a repeat changes nothing
    expect(seen).toEqual([]);
    expect(frames.size()).toBe(1);
    frames.run();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.latest).toEqual({ temperature: { ts: 2, value: 21 }, humidity: { ts: 2, value: 50 } });
    expect(seen[0]!.points.temperature).toEqual([{ ts: 1, value: 20 }, { ts: 2, value: 21 }]);
    expect(hub.frames).toBe(1);
  });

  it('gives a late widget the values already known', () => {
    const { source, push } = fakeSource();
    const frames = manualFrames();
    const hub = new LiveHub(source, frames.schedule);
    hub.watch(DEVICE, () => {});
    push('d1', { temperature: { ts: 5, value: 22 } });
    frames.run();
    const late: LiveFrame[] = [];
    hub.watch(DEVICE, (frame) => late.push(frame));
    expect(late[0]!.latest.temperature!.value).toBe(22);
    hub.close();
  });
});

describe('live hub over the shared socket', () => {
  it('follows fifty devices over one socket, subscribed in one frame, and routes each device its values', async () => {
    const sockets: { sent: string[]; socket: SocketLike }[] = [];
    const deferred: (() => void)[] = [];
    const live = new LiveSocket({
      open: () => {
        const entry = { sent: [] as string[], socket: null as unknown as SocketLike };
        entry.socket = {
          send: (data) => void entry.sent.push(data),
          close: () => {},
          onopen: null,
          onmessage: null,
          onclose: null,
          onerror: null,
        };
        sockets.push(entry);
        return entry.socket;
      },
      token: async () => 'jwt',
      identity: () => 'u1',
      defer: (callback) => void deferred.push(callback),
      random: () => 0.5,
    });
    const unused: LatestSource = { subscribe: () => ({ close() {} }) };
    const frames = manualFrames();
    const hub = new LiveHub(socketSource(live, unused), frames.schedule, 0);
    const seen = new Map<string, LiveFrame>();
    const stops = Array.from({ length: 50 }, (_, i) =>
      hub.watch({ entityType: 'DEVICE', id: `d${i}` }, (frame) => seen.set(`d${i}`, frame)),
    );
    await Promise.resolve();
    await Promise.resolve();
    expect(sockets).toHaveLength(1);
    const { socket, sent } = sockets[0]!;
    socket.onopen?.(new Event('open'));
    expect(sent).toHaveLength(1);
    const first = JSON.parse(sent[0]!) as { cmds: { cmdId: number; entityId: string }[] };
    expect(first.cmds).toHaveLength(50);
    const d7 = first.cmds.find((c) => c.entityId === 'd7')!;
    socket.onmessage?.({ data: JSON.stringify({ subscriptionId: d7.cmdId, errorCode: 0, data: { t: [[9, '7.5']] } }) } as MessageEvent);
    frames.run();
    expect([...seen.keys()]).toEqual(['d7']);
    expect(seen.get('d7')!.latest).toEqual({ t: { ts: 9, value: 7.5 } });
    stops.forEach((stop) => stop());
    deferred.splice(0).forEach((callback) => callback());
    expect(sent).toHaveLength(2); // every unsubscribe in one frame
    expect((JSON.parse(sent[1]!) as { cmds: unknown[] }).cmds).toHaveLength(50);
    expect(live.subscriptions).toBe(0);
  });
});
