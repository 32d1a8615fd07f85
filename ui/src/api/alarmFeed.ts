/**
 * Live alarm lists over the WebSocket ALARM_DATA subscription (spec §4.4, §4.5). The REST
 * page stays what the table shows; the subscription mirrors that page (same filters, page
 * and sort) and every push after the first reply tells the table to reload it. A list of
 * one entity follows that entity (including alarms propagated to it); the list of every
 * alarm follows the tenant's devices and assets, which originate all rule-engine alarms.
 * The subscriptions ride on the tab's shared socket (`live/socket.ts`); after a reconnect
 * the fresh first reply reloads the table too (pushes may have been missed meanwhile).
 * When the socket cannot be opened, the table simply refreshes after its own actions.
 */

import type { PageLink } from '../lib/pageLink';
import { liveSocket } from '../live/socket';
import { CUSTOM_RANGE, type AlarmFilter } from './alarms';
import type { EntityId } from './types';

type Json = Record<string, unknown>;

/** Entity filters of the subscriptions behind one list. */
export function alarmEntityFilters(entity?: EntityId<string>): Json[] {
  if (entity) return [{ type: 'singleEntity', singleEntity: { entityType: entity.entityType, id: entity.id } }];
  return ['DEVICE', 'ASSET'].map((entityType) => ({ type: 'entityType', entityType }));
}

/** One ALARM_DATA query per entity filter, mirroring the shown page and filters. */
export function alarmDataQueries(filters: Json[], link: PageLink, filter: AlarmFilter, now: number): Json[] {
  const pageLink: Json = {
    page: link.page,
    pageSize: link.pageSize,
    textSearch: link.textSearch.trim() || null,
    sortOrder: { key: { type: 'ALARM_FIELD', key: link.sortProperty || 'createdTime' }, direction: link.sortOrder },
    statusList: filter.statuses,
    severityList: filter.severities,
    typeList: filter.types,
    searchPropagatedAlarms: true,
  };
  if (filter.window > 0) {
    pageLink.startTs = now - filter.window;
    pageLink.endTs = now;
  } else if (filter.window === CUSTOM_RANGE) {
    if (filter.from != null) pageLink.startTs = filter.from;
    if (filter.to != null) pageLink.endTs = filter.to;
  }
  return filters.map((entityFilter) => ({
    entityFilter,
    pageLink,
    alarmFields: [{ type: 'ALARM_FIELD', key: 'createdTime' }],
  }));
}

/** The first message: authentication and one ALARM_DATA command per entity filter. */
export function alarmDataCommands(
  token: string,
  firstCmdId: number,
  filters: Json[],
  link: PageLink,
  filter: AlarmFilter,
  now: number,
): string {
  return JSON.stringify({
    authCmd: { cmdId: 0, token },
    cmds: alarmDataQueries(filters, link, filter, now).map((query, i) => ({
      type: 'ALARM_DATA',
      cmdId: firstCmdId + i,
      query,
    })),
  });
}

/** The command id a reply answers, when it is an error-free ALARM_DATA reply. */
export function alarmReplyId(text: string): number | null {
  try {
    const message = JSON.parse(text) as Json;
    if (message.cmdUpdateType !== 'ALARM_DATA') return null;
    if (typeof message.errorCode === 'number' && message.errorCode !== 0) return null;
    return typeof message.cmdId === 'number' ? message.cmdId : null;
  } catch {
    return null;
  }
}

/**
 * Follow the alarms behind a list; `onChange` runs on every push after each command's first
 * reply. Returns the close function.
 */
export function followAlarms(
  entity: EntityId<string> | undefined,
  link: PageLink,
  filter: AlarmFilter,
  onChange: () => void,
): () => void {
  const queries = alarmDataQueries(alarmEntityFilters(entity), link, filter, Date.now());
  const stops = queries.map((query) => {
    let answered = false;
    return liveSocket.subscribe({ type: 'ALARM_DATA', query }, (reply) => {
      if (alarmReplyId(reply.raw) === null) return;
      if (answered) onChange();
      else answered = true;
    });
  });
  return () => stops.forEach((stop) => stop());
}
