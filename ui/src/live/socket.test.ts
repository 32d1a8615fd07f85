import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { followOrFallback } from './fallback';
import { backoffDelay, DEFAULT_OPTIONS, LiveSocket, type ConnectionState, type SocketDeps, type SocketLike } from './socket';

/** A stand-in for the browser's WebSocket: records frames, lets the test open, answer and drop it. */
class FakeSocket implements SocketLike {
  sent: Record<string, unknown>[] = [];
  closedWith: number | null = null;
  onopen: SocketLike['onopen'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onclose: SocketLike['onclose'] = null;
  onerror: SocketLike['onerror'] = null;
  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close(code = 1000): void {
    this.closedWith = code;
  }
  accept(): void {
    this.onopen?.(new Event('open'));
  }
  reply(message: Record<string, unknown>): void {
    this.onmessage?.({ data: JSON.stringify(message) } as MessageEvent);
  }
  drop(code = 1006, reason = ''): void {
    this.onclose?.({ code, reason } as CloseEvent);
  }
}

function harness(tokens: string[] = ['jwt-1', 'jwt-2', 'jwt-3', 'jwt-4']) {
  const sockets: FakeSocket[] = [];
  const renewals: boolean[] = [];
  const deferred: (() => void)[] = [];
  let issued = 0;
  const user = { id: 'u1' as string | null };
  const deps: SocketDeps = {
    open: () => {
      const socket = new FakeSocket();
      sockets.push(socket);
      return socket;
    },
    token: (renew) => {
      renewals.push(renew);
      return Promise.resolve(tokens[Math.min(issued++, tokens.length - 1)] ?? null);
    },
    identity: () => user.id,
    defer: (callback) => void deferred.push(callback),
    random: () => 0.5,
  };
  const live = new LiveSocket(deps);
  const states: ConnectionState[] = [];
  live.onState((state) => states.push(state));
  return {
    live,
    user,
    sockets,
    renewals,
    states,
    tick: () => deferred.splice(0).forEach((callback) => callback()),
    last: () => sockets[sockets.length - 1]!,
  };
}

const ts = (entityId: string) => ({ type: 'TIMESERIES' as const, entityType: 'DEVICE', entityId });

describe('shared live socket', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('opens one socket for many subscriptions and authenticates in the first frame', async () => {
    const h = harness();
    const seen: string[] = [];
    for (let i = 0; i < 50; i += 1) h.live.subscribe(ts(`d${i}`), (reply) => seen.push(`${reply.cmdId}`));
    await vi.advanceTimersByTimeAsync(0);
    expect(h.sockets).toHaveLength(1);
    h.last().accept();
    expect(h.live.state).toBe('open');
    expect(h.last().sent).toHaveLength(1);
    const first = h.last().sent[0] as { authCmd: unknown; cmds: { cmdId: number }[] };
    expect(first.authCmd).toEqual({ cmdId: 0, token: 'jwt-1' });
    expect(first.cmds).toHaveLength(50);
    expect(new Set(first.cmds.map((c) => c.cmdId)).size).toBe(50);
    h.last().reply({ subscriptionId: first.cmds[3]!.cmdId, data: {} });
    expect(seen).toEqual([`${first.cmds[3]!.cmdId}`]);
    expect(h.states).toEqual(['closed', 'connecting', 'open']);
  });

  it('sends the commands of one tick as one frame, without the auth command', async () => {
    const h = harness();
    const stopA = h.live.subscribe(ts('a'), () => {});
    await vi.advanceTimersByTimeAsync(0);
    h.last().accept();
    const stopB = h.live.subscribe(ts('b'), () => {});
    h.live.subscribe({ type: 'NOTIFICATIONS', limit: 5 }, () => {});
    stopA();
    stopB(); // b never left: nothing to undo on the server
    stopB();
    h.tick();
    expect(h.last().sent).toHaveLength(2);
    const frame = h.last().sent[1] as { authCmd?: unknown; cmds: Record<string, unknown>[] };
    expect(frame.authCmd).toBeUndefined();
    expect(frame.cmds.map((c) => [c.type, c.unsubscribe ?? false])).toEqual([
      ['NOTIFICATIONS', false],
      ['TIMESERIES', true],
    ]);
  });

  it('closes a while after the last subscription, unless another one comes', async () => {
    const h = harness();
    const stop = h.live.subscribe(ts('a'), () => {});
    await vi.advanceTimersByTimeAsync(0);
    h.last().accept();
    stop();
    await vi.advanceTimersByTimeAsync(DEFAULT_OPTIONS.idleCloseMs - 1);
    const again = h.live.subscribe(ts('a'), () => {});
    await vi.advanceTimersByTimeAsync(DEFAULT_OPTIONS.idleCloseMs * 2);
    expect(h.last().closedWith).toBeNull();
    expect(h.sockets).toHaveLength(1);
    again();
    await vi.advanceTimersByTimeAsync(DEFAULT_OPTIONS.idleCloseMs);
    expect(h.last().closedWith).toBe(1000);
    expect(h.live.state).toBe('closed');
    h.live.subscribe(ts('b'), () => {});
    await vi.advanceTimersByTimeAsync(0);
    expect(h.sockets).toHaveLength(2);
  });

  it('reconnects with backoff after a drop and sends every live subscription again', async () => {
    const h = harness();
    h.live.subscribe(ts('a'), () => {});
    const stopB = h.live.subscribe(ts('b'), () => {});
    await vi.advanceTimersByTimeAsync(0);
    h.last().accept();
    h.last().reply({ subscriptionId: 2, data: {} });
    h.last().drop();
    expect(h.live.state).toBe('reconnecting');
    stopB(); // ended while down: not resent
    h.live.subscribe(ts('c'), () => {}); // started while down: sent with the rest
    await vi.advanceTimersByTimeAsync(backoffDelay(1, DEFAULT_OPTIONS, 0.5) - 1);
    expect(h.sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.sockets).toHaveLength(2);
    h.last().accept();
    const frame = h.last().sent[0] as { authCmd: { token: string }; cmds: Record<string, unknown>[] };
    expect(frame.authCmd.token).toBe('jwt-2');
    expect(frame.cmds.map((c) => c.entityId)).toEqual(['a', 'c']);
    expect(h.renewals).toEqual([false, false]);
    expect(h.states).toEqual(['closed', 'connecting', 'open', 'reconnecting', 'open']);
  });

  it('backs off longer after each failed attempt and starts over once the server answers', async () => {
    const h = harness();
    h.live.subscribe(ts('a'), () => {});
    await vi.advanceTimersByTimeAsync(0);
    h.last().drop(); // refused at the handshake
    await vi.advanceTimersByTimeAsync(backoffDelay(1, DEFAULT_OPTIONS, 0.5));
    expect(h.sockets).toHaveLength(2);
    h.last().drop();
    await vi.advanceTimersByTimeAsync(backoffDelay(1, DEFAULT_OPTIONS, 0.5));
    expect(h.sockets).toHaveLength(2); // the second wait is longer
    await vi.advanceTimersByTimeAsync(backoffDelay(2, DEFAULT_OPTIONS, 0.5));
    expect(h.sockets).toHaveLength(3);
    h.last().accept();
    h.last().reply({ subscriptionId: 2, data: {} });
    h.last().drop();
    await vi.advanceTimersByTimeAsync(backoffDelay(1, DEFAULT_OPTIONS, 0.5));
    expect(h.sockets).toHaveLength(4);
  });

  it('asks for a renewed token after an auth close', async () => {
    const h = harness();
    h.live.subscribe(ts('a'), () => {});
    await vi.advanceTimersByTimeAsync(0);
    h.last().accept();
    h.last().drop(1007, 'Token has expired');
    await vi.advanceTimersByTimeAsync(DEFAULT_OPTIONS.maxBackoffMs);
    expect(h.renewals).toEqual([false, true]);
    h.last().accept();
    expect((h.last().sent[0] as { authCmd: { token: string } }).authCmd.token).toBe('jwt-2');
  });

  it('ignores a stale socket and stays down without a WebSocket', async () => {
    const h = harness();
    h.live.subscribe(ts('a'), () => {});
    await vi.advanceTimersByTimeAsync(0);
    const old = h.last();
    old.drop();
    await vi.advanceTimersByTimeAsync(DEFAULT_OPTIONS.maxBackoffMs);
    old.accept(); // a late event of the dropped socket changes nothing
    expect(old.sent).toEqual([]);

    const none = new LiveSocket({ open: () => null, token: async () => 'jwt', identity: () => 'u1', defer: (c) => c(), random: () => 0 });
    none.subscribe(ts('a'), () => {});
    await vi.advanceTimersByTimeAsync(0);
    expect(none.state).toBe('unavailable');
  });

  it('opens a new session when another user signed in while the old socket idled', async () => {
    const h = harness();
    const stop = h.live.subscribe(ts('a'), () => {});
    await vi.advanceTimersByTimeAsync(0);
    h.last().accept();
    stop(); // signed out: everything unsubscribed, the socket waits to close
    h.user.id = 'u2';
    h.live.subscribe({ type: 'NOTIFICATIONS' }, () => {});
    expect(h.sockets[0]!.closedWith).toBe(1000);
    await vi.advanceTimersByTimeAsync(0);
    expect(h.sockets).toHaveLength(2);
    h.last().accept();
    const frame = h.last().sent[0] as { authCmd: { token: string }; cmds: { type: string }[] };
    expect(frame.authCmd.token).toBe('jwt-2');
    expect(frame.cmds.map((c) => c.type)).toEqual(['NOTIFICATIONS']);
  });

  it('retries while signed out (no token) instead of opening an unauthenticated socket', async () => {
    const h = harness([]);
    h.live.subscribe(ts('a'), () => {});
    await vi.advanceTimersByTimeAsync(0);
    expect(h.sockets).toHaveLength(0);
    expect(h.live.state).toBe('reconnecting');
  });

  it('runs the fallback while the socket is down and stops it when it is back', async () => {
    const h = harness();
    let running = 0;
    const stop = followOrFallback(h.live, ts('a'), () => {}, () => {
      running += 1;
      return () => void (running -= 1);
    });
    await vi.advanceTimersByTimeAsync(0);
    h.last().accept();
    expect(running).toBe(0);
    h.last().drop();
    expect(running).toBe(1);
    await vi.advanceTimersByTimeAsync(DEFAULT_OPTIONS.maxBackoffMs);
    expect(running).toBe(1); // still reconnecting
    h.last().accept();
    expect(running).toBe(0);
    h.last().drop();
    expect(running).toBe(1);
    stop();
    expect(running).toBe(0);
    expect(h.live.subscriptions).toBe(0);
  });

  it('caps the backoff and spreads it', () => {
    expect(backoffDelay(1, DEFAULT_OPTIONS, 0.5)).toBe(1000);
    expect(backoffDelay(3, DEFAULT_OPTIONS, 0.5)).toBe(4000);
    expect(backoffDelay(20, DEFAULT_OPTIONS, 0.5)).toBe(30_000);
    expect(backoffDelay(1, DEFAULT_OPTIONS, 0)).toBe(750);
    expect(backoffDelay(1, DEFAULT_OPTIONS, 1)).toBe(1250);
  });
});
