/**
 * Live values for a whole dashboard: one subscription per entity, shared by every widget that
 * shows the entity, all of them multiplexed over the tab's one WebSocket (`live/socket.ts`;
 * the subscriptions of one render leave in one frame, and polling stands in while the socket
 * is down), with updates batched and handed to widgets at most once per animation frame — a
 * busy device cannot make the page re-render faster than the screen draws.
 */

import type { EntityId, LatestTelemetry } from '../api/types';
import { mergeLatest, type LatestSource, type Subscription } from '../live/latest';

export type Point = { ts: number; value: unknown };

export interface LiveFrame {
  /** The newest point of every key seen so far. */
  latest: LatestTelemetry;
  /** Points that arrived since the previous frame, per key, oldest first. */
  points: Record<string, Point[]>;
}

export type LiveListener = (frame: LiveFrame) => void;

/** Runs a callback before the next paint (tests pass a manual one). */
export type FrameScheduler = (callback: () => void) => void;

export const animationFrame: FrameScheduler = (callback) => {
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => callback());
  else setTimeout(callback, 16);
};

interface Channel {
  subscription: Subscription;
  closing?: ReturnType<typeof setTimeout>;
  listeners: Set<LiveListener>;
  latest: LatestTelemetry;
  pending: Record<string, Point[]>;
}

export class LiveHub {
  private readonly channels = new Map<string, Channel>();
  private readonly dirty = new Set<string>();
  private scheduled = false;
  /** How many frames were delivered (for tests and diagnostics). */
  frames = 0;

  /**
   * @param graceMs how long a subscription outlives its last widget, so that widgets that
   *   remount (layout switch, edit mode) find their values at once instead of resubscribing.
   */
  constructor(
    private readonly source: LatestSource,
    private readonly schedule: FrameScheduler = animationFrame,
    private readonly graceMs = 5000,
  ) {}

  /** Follow `entity`; the listener gets the current values at once when known. */
  watch(entity: EntityId<string>, listener: LiveListener): () => void {
    const key = `${entity.entityType}:${entity.id}`;
    let channel = this.channels.get(key);
    if (!channel) {
      const created: Channel = { subscription: { close() {} }, listeners: new Set(), latest: {}, pending: {} };
      this.channels.set(key, created);
      created.subscription = this.source.subscribe(entity as EntityId, {
        onData: (update) => this.receive(key, update),
      });
      channel = created;
    }
    clearTimeout(channel.closing);
    channel.closing = undefined;
    channel.listeners.add(listener);
    if (Object.keys(channel.latest).length) listener({ latest: channel.latest, points: {} });
    return () => {
      const current = this.channels.get(key);
      if (!current) return;
      current.listeners.delete(listener);
      if (current.listeners.size > 0) return;
      const drop = () => {
        current.subscription.close();
        this.channels.delete(key);
        this.dirty.delete(key);
      };
      if (this.graceMs <= 0) drop();
      else current.closing = setTimeout(drop, this.graceMs);
    };
  }

  /** Close every subscription (the dashboard is left). */
  close(): void {
    for (const channel of this.channels.values()) {
      clearTimeout(channel.closing);
      channel.subscription.close();
    }
    this.channels.clear();
    this.dirty.clear();
  }

  private receive(key: string, update: LatestTelemetry): void {
    const channel = this.channels.get(key);
    if (!channel) return;
    const merged = mergeLatest(channel.latest, update);
    if (merged === channel.latest) return;
    for (const [name, point] of Object.entries(update)) {
      const known = channel.latest[name];
      if (known && known.ts >= point.ts && known.value === point.value) continue;
      (channel.pending[name] ??= []).push(point);
    }
    channel.latest = merged;
    this.dirty.add(key);
    if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    if (this.dirty.size === 0) return;
    this.frames += 1;
    const keys = [...this.dirty];
    this.dirty.clear();
    for (const key of keys) {
      const channel = this.channels.get(key);
      if (!channel) continue;
      const frame = { latest: channel.latest, points: channel.pending };
      channel.pending = {};
      for (const listener of channel.listeners) listener(frame);
    }
  }
}
