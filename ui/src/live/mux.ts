/**
 * The pure heart of the shared WebSocket (`socket.ts`): many subscriptions over one `/api/ws`
 * session. It allocates `cmdId`s, remembers every live subscription (so a new session can be
 * sent all of them again), queues the subscribe/unsubscribe commands issued while a session
 * is attached so they leave as one frame, and routes each server message to the handler of
 * its `cmdId` (v2 replies) or `subscriptionId` (v1 replies). No timers and no socket here.
 */

import {
  AUTH_CMD_ID,
  FIRST_CMD_ID,
  UNSUBSCRIBE,
  type OutgoingCommand,
  type SubscribeCommand,
  type SubscriptionType,
} from './wire';

/** One server message, parsed once and handed to the subscription it answers. */
export interface WsReply {
  cmdId: number;
  /** The parsed message. */
  body: Record<string, unknown>;
  /** The message as received (for consumers whose parsers take text). */
  raw: string;
}

export type ReplyHandler = (reply: WsReply) => void;

interface Live {
  command: OutgoingCommand;
  handler: ReplyHandler;
}

/** The `/api/ws` envelope; the first frame of a session carries the auth command. */
export function envelope(commands: OutgoingCommand[], token?: string): string {
  if (token === undefined) return JSON.stringify({ cmds: commands });
  return JSON.stringify({ authCmd: { cmdId: AUTH_CMD_ID, token }, cmds: commands });
}

/** The id a server message answers: `cmdId` (v2) or `subscriptionId` (v1); null if neither. */
export function replyId(body: Record<string, unknown>): number | null {
  if (typeof body.cmdId === 'number') return body.cmdId;
  if (typeof body.subscriptionId === 'number') return body.subscriptionId;
  return null;
}

export class CommandMux {
  private nextId = FIRST_CMD_ID;
  private readonly live = new Map<number, Live>();
  /** Commands for the attached session not yet taken, in issue order. */
  private pending: OutgoingCommand[] = [];
  /** Subscribe commands among `pending` (an unsubscribe before the flush just drops them). */
  private readonly unsent = new Set<number>();
  private attached = false;

  /** How many subscriptions are live. */
  get size(): number {
    return this.live.size;
  }

  /** Start a subscription; returns its `cmdId`. Queued only while a session is attached. */
  subscribe(command: SubscribeCommand, handler: ReplyHandler): number {
    const cmdId = this.nextId;
    this.nextId += 1;
    const outgoing: OutgoingCommand = { ...command, cmdId };
    this.live.set(cmdId, { command: outgoing, handler });
    if (this.attached) {
      this.pending.push(outgoing);
      this.unsent.add(cmdId);
    }
    return cmdId;
  }

  /** End a subscription; the server hears of it only if it was told about it. */
  unsubscribe(cmdId: number): void {
    const entry = this.live.get(cmdId);
    if (!entry) return;
    this.live.delete(cmdId);
    if (!this.attached) return;
    if (this.unsent.delete(cmdId)) {
      this.pending = this.pending.filter((command) => command.cmdId !== cmdId);
      return;
    }
    this.pending.push(UNSUBSCRIBE[entry.command.type as SubscriptionType](entry.command));
  }

  /**
   * A session is open: returns every live subscription (to go with the auth command) and
   * starts queueing for it. Whatever was queued for an earlier session is dropped.
   */
  attach(): OutgoingCommand[] {
    this.attached = true;
    this.pending = [];
    this.unsent.clear();
    return [...this.live.values()].map((entry) => entry.command);
  }

  /** The session is gone: nothing is queued until the next `attach`. */
  detach(): void {
    this.attached = false;
    this.pending = [];
    this.unsent.clear();
  }

  /** Whether commands are waiting for the attached session. */
  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** The queued commands, in order, and an empty queue. */
  takePending(): OutgoingCommand[] {
    const taken = this.pending;
    this.pending = [];
    this.unsent.clear();
    return taken;
  }

  /** Hands a server message to its subscription; false when it answers none (or is garbage). */
  route(raw: string): boolean {
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return false;
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
    const message = body as Record<string, unknown>;
    const cmdId = replyId(message);
    const entry = cmdId === null ? undefined : this.live.get(cmdId);
    if (!entry || cmdId === null) return false;
    entry.handler({ cmdId, body: message, raw });
    return true;
  }
}
