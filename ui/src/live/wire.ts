/**
 * Wire constants of the `/api/ws` WebSocket API (platform-api §4) the shared socket speaks:
 * subscription command types, how each one is unsubscribed, and the close codes that mean
 * "authenticate again". Kept apart so the client logic reads as tables, not string literals.
 */

/** Subscription types the shared socket carries (one-shot commands are not multiplexed). */
export const SUBSCRIPTION_TYPES = [
  'ATTRIBUTES',
  'TIMESERIES',
  'ENTITY_DATA',
  'ENTITY_COUNT',
  'ALARM_DATA',
  'ALARM_COUNT',
  'ALARM_STATUS',
  'NOTIFICATIONS',
  'NOTIFICATIONS_COUNT',
] as const;

export type SubscriptionType = (typeof SUBSCRIPTION_TYPES)[number];

/** A subscription command without its `cmdId` (the socket allocates that). */
export interface SubscribeCommand {
  type: SubscriptionType;
  [field: string]: unknown;
}

/** A command as sent: with its `cmdId`. */
export interface OutgoingCommand {
  type: string;
  cmdId: number;
  [field: string]: unknown;
}

/**
 * How each subscription type is ended (§4.4): v1 types repeat the command with
 * `unsubscribe: true`, v2 types send their `*_UNSUBSCRIBE` command with the `cmdId` only.
 * NOTIFICATIONS_COUNT shares the notifications unsubscribe, as in ThingsBoard.
 */
export const UNSUBSCRIBE: Record<SubscriptionType, (command: OutgoingCommand) => OutgoingCommand> = {
  ATTRIBUTES: (command) => ({ ...command, unsubscribe: true }),
  TIMESERIES: (command) => ({ ...command, unsubscribe: true }),
  ENTITY_DATA: ({ cmdId }) => ({ type: 'ENTITY_DATA_UNSUBSCRIBE', cmdId }),
  ENTITY_COUNT: ({ cmdId }) => ({ type: 'ENTITY_COUNT_UNSUBSCRIBE', cmdId }),
  ALARM_DATA: ({ cmdId }) => ({ type: 'ALARM_DATA_UNSUBSCRIBE', cmdId }),
  ALARM_COUNT: ({ cmdId }) => ({ type: 'ALARM_COUNT_UNSUBSCRIBE', cmdId }),
  ALARM_STATUS: ({ cmdId }) => ({ type: 'ALARM_STATUS_UNSUBSCRIBE', cmdId }),
  NOTIFICATIONS: ({ cmdId }) => ({ type: 'NOTIFICATIONS_UNSUBSCRIBE', cmdId }),
  NOTIFICATIONS_COUNT: ({ cmdId }) => ({ type: 'NOTIFICATIONS_UNSUBSCRIBE', cmdId }),
};

/** `cmdId` of the auth command in the first frame. */
export const AUTH_CMD_ID = 0;

/**
 * The server answers an unparseable frame on `subscriptionId` 1 (§4.1), so allocation starts
 * above it: such an error can never be mistaken for a subscription's reply.
 */
export const FIRST_CMD_ID = 2;

/** Close codes the server uses (§4.1). */
export const CloseCode = {
  NORMAL: 1000,
  ABNORMAL: 1006,
  BAD_DATA: 1007,
  POLICY_VIOLATION: 1008,
} as const;

/** Close reasons of a 1008 that are about authentication (others are limits). */
const AUTH_REASONS = ['Auth cmd is missing', 'Auth timeout', 'Auth token is missing'];

/** True when the server closed because of the token: the next attempt needs a fresh one. */
export function isAuthClose(code: number, reason: string): boolean {
  if (code === CloseCode.BAD_DATA) return true;
  return code === CloseCode.POLICY_VIOLATION && AUTH_REASONS.includes(reason);
}
