/**
 * One multiplexed `/api/ws` connection per browser tab (as ThingsBoard's UI does): every live
 * feature subscribes through `liveSocket` instead of opening its own socket, so a dashboard of
 * fifty devices is one connection with fifty subscriptions. The socket opens on the first
 * subscription and authenticates in its first frame (§4.1 option B); subscribe/unsubscribe
 * commands issued in the same tick leave as one frame; it closes a little while after the
 * last subscription ends. When it drops it reconnects with backoff and sends every live
 * subscription again — with a refreshed token, and after an auth close (1007, or 1008 "Auth…")
 * with one the REST client had to re-validate. The bookkeeping lives in `mux.ts`.
 */

import { api } from '../api/instance';
import { decodeClaims } from '../api/jwt';
import { CommandMux, envelope, type ReplyHandler } from './mux';
import { CloseCode, isAuthClose, type SubscribeCommand } from './wire';

/**
 * `closed`: no socket (nothing subscribed); `connecting`: first attempt; `open`: the session
 * carries the subscriptions; `reconnecting`: dropped or refused, retrying after a backoff;
 * `unavailable`: this browser cannot open WebSockets at all.
 */
export type ConnectionState = 'closed' | 'connecting' | 'open' | 'reconnecting' | 'unavailable';

/** The part of a browser `WebSocket` the client uses (tests pass a fake). */
export interface SocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  onclose: ((event: CloseEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
}

export interface SocketDeps {
  /** A new socket to `/api/ws`; null when the browser has no WebSocket. */
  open(): SocketLike | null;
  /** The access token; `renew` after the server refused the last one. Null when signed out. */
  token(renew: boolean): Promise<string | null>;
  /** Who the stored token belongs to now (null when signed out). */
  identity(): string | null;
  /** Runs a callback at the end of the current tick (commands issued before it share a frame). */
  defer(callback: () => void): void;
  random(): number;
}

export interface SocketOptions {
  /** How long the socket outlives its last subscription. */
  idleCloseMs: number;
  /** First reconnect delay; doubles per failed attempt up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_OPTIONS: SocketOptions = { idleCloseMs: 3000, backoffMs: 1000, maxBackoffMs: 30_000 };

/** Delay before reconnect attempt `attempt` (1-based): exponential, capped, ±25 % jitter. */
export function backoffDelay(attempt: number, options: SocketOptions, random: number): number {
  const base = Math.min(options.maxBackoffMs, options.backoffMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.75 + 0.5 * random));
}

export type StateListener = (state: ConnectionState) => void;

export class LiveSocket {
  private readonly mux = new CommandMux();
  private socket: SocketLike | null = null;
  private current: ConnectionState = 'closed';
  private readonly listeners = new Set<StateListener>();
  /** Consecutive attempts that ended before the server answered anything. */
  private failures = 0;
  private renewToken = false;
  /** Bumped by every connect and shutdown, so a stale token answer or socket is ignored. */
  private generation = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private flushQueued = false;
  /** Who the open socket authenticated as: another sign-in in this tab needs a new session. */
  private authenticatedAs: string | null = null;
  /** Sockets opened so far (diagnostics and tests). */
  opened = 0;

  constructor(
    private readonly deps: SocketDeps,
    private readonly options: SocketOptions = DEFAULT_OPTIONS,
  ) {}

  get state(): ConnectionState {
    return this.current;
  }

  /** How many subscriptions are live. */
  get subscriptions(): number {
    return this.mux.size;
  }

  /** Follow the connection state; the listener hears the current one at once. */
  onState(listener: StateListener): () => void {
    this.listeners.add(listener);
    listener(this.current);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /**
   * Subscribe; `handler` gets every reply of this subscription (again after a reconnect,
   * starting with a fresh snapshot). Returns the unsubscribe (safe to call twice).
   */
  subscribe(command: SubscribeCommand, handler: ReplyHandler): () => void {
    const cmdId = this.mux.subscribe(command, handler);
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.socket && this.deps.identity() !== this.authenticatedAs) this.shutdown();
    if (this.current === 'closed') this.connect();
    else this.scheduleFlush();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.mux.unsubscribe(cmdId);
      this.scheduleFlush();
      if (this.mux.size === 0) this.scheduleIdleClose();
    };
  }

  private setState(next: ConnectionState): void {
    if (next === this.current) return;
    this.current = next;
    for (const listener of [...this.listeners]) listener(next);
  }

  private connect(): void {
    this.retryTimer = undefined;
    const generation = ++this.generation;
    const renew = this.renewToken;
    this.renewToken = false;
    this.setState(this.failures === 0 ? 'connecting' : 'reconnecting');
    this.deps.token(renew).then(
      (token) => {
        if (generation !== this.generation) return;
        if (token) this.open(token);
        else this.dropped(false);
      },
      () => {
        if (generation === this.generation) this.dropped(false);
      },
    );
  }

  private open(token: string): void {
    let socket: SocketLike | null;
    try {
      socket = this.deps.open();
    } catch {
      this.dropped(false);
      return;
    }
    if (!socket) {
      this.setState('unavailable');
      return;
    }
    this.opened += 1;
    this.socket = socket;
    this.authenticatedAs = this.deps.identity();
    socket.onopen = () => {
      if (this.socket !== socket) return;
      socket.send(envelope(this.mux.attach(), token));
      this.setState('open');
    };
    socket.onmessage = (event) => {
      if (this.socket !== socket) return;
      this.failures = 0;
      if (typeof event.data === 'string') this.mux.route(event.data);
    };
    socket.onclose = (event) => {
      if (this.socket === socket) this.dropped(isAuthClose(event.code, event.reason));
    };
    // Every error is followed by a close event, which decides what happens next.
    socket.onerror = () => {};
  }

  /** The socket (or the attempt to open one) ended without us asking. */
  private dropped(authRefused: boolean): void {
    this.socket = null;
    this.mux.detach();
    if (authRefused) this.renewToken = true;
    if (this.mux.size === 0) {
      this.shutdown();
      return;
    }
    this.failures += 1;
    this.setState('reconnecting');
    clearTimeout(this.retryTimer);
    const delay = backoffDelay(this.failures, this.options, this.deps.random());
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private scheduleFlush(): void {
    if (this.flushQueued || !this.mux.hasPending) return;
    this.flushQueued = true;
    this.deps.defer(() => {
      this.flushQueued = false;
      const socket = this.socket;
      if (!socket || this.current !== 'open') return;
      const commands = this.mux.takePending();
      if (commands.length === 0) return;
      try {
        socket.send(envelope(commands));
      } catch {
        // The socket is closing; its close event reconnects and resends what is live.
      }
    });
  }

  private scheduleIdleClose(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.mux.size === 0) this.shutdown();
    }, this.options.idleCloseMs);
  }

  /** Close on purpose: nothing is subscribed any more. */
  private shutdown(): void {
    this.generation += 1;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const socket = this.socket;
    this.socket = null;
    this.mux.detach();
    this.failures = 0;
    this.renewToken = false;
    this.authenticatedAs = null;
    if (socket) {
      socket.onclose = null;
      try {
        socket.close(CloseCode.NORMAL);
      } catch {
        // Already closed.
      }
    }
    this.setState('closed');
  }
}

/** The WebSocket URL of the page's own origin. */
export function wsUrl(location: { protocol: string; host: string }, path = '/api/ws'): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${path}`;
}

/**
 * The token for a new session. After a refusal, one authenticated REST call goes first: the
 * REST client refreshes an expired token there (or ends the session when it cannot).
 */
async function sessionToken(renew: boolean): Promise<string | null> {
  if (renew) {
    try {
      await api.get('/api/auth/user');
    } catch {
      // The client has already refreshed or ended the session; read what it left.
    }
  }
  return api.freshToken();
}

/** The user of the stored access token. */
function storedIdentity(): string | null {
  const token = api.tokens.get()?.token;
  const claims = token ? decodeClaims(token) : null;
  return claims ? (claims.userId ?? claims.sub) : null;
}

export const browserDeps: SocketDeps = {
  open: () => (typeof WebSocket === 'undefined' ? null : new WebSocket(wsUrl(window.location))),
  token: sessionToken,
  identity: storedIdentity,
  defer: (callback) => queueMicrotask(callback),
  random: Math.random,
};

/** The tab's one live connection. */
export const liveSocket = new LiveSocket(browserDeps);
