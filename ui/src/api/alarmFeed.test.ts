import { describe, expect, it } from 'vitest';
import { DEFAULT_PAGE_LINK } from '../lib/pageLink';
import { alarmDataCommands, alarmEntityFilters, alarmReplyId } from './alarmFeed';
import { EMPTY_ALARM_FILTER } from './alarms';

describe('alarm feed', () => {
  it('follows one entity, or the devices and assets of the tenant', () => {
    expect(alarmEntityFilters({ entityType: 'ASSET', id: 'a1' })).toEqual([{ type: 'singleEntity', singleEntity: { entityType: 'ASSET', id: 'a1' } }]);
    expect(alarmEntityFilters().map((f) => f.entityType)).toEqual(['DEVICE', 'ASSET']);
  });

  it('mirrors the REST page in the subscription', () => {
    const link = { ...DEFAULT_PAGE_LINK, page: 2, pageSize: 20, sortProperty: 'severity', sortOrder: 'ASC' as const };
    const filter = { ...EMPTY_ALARM_FILTER, statuses: ['ACTIVE' as const], types: ['Leak'], window: 3_600_000 };
    const message = JSON.parse(alarmDataCommands('jwt', 5, alarmEntityFilters(), link, filter, 10_000_000));
    expect(message.authCmd).toEqual({ cmdId: 0, token: 'jwt' });
    expect(message.cmds.map((c: { cmdId: number }) => c.cmdId)).toEqual([5, 6]);
    const pageLink = message.cmds[0].query.pageLink;
    expect(pageLink).toMatchObject({
      page: 2,
      pageSize: 20,
      sortOrder: { key: { type: 'ALARM_FIELD', key: 'severity' }, direction: 'ASC' },
      statusList: ['ACTIVE'],
      severityList: [],
      typeList: ['Leak'],
      startTs: 6_400_000,
      endTs: 10_000_000,
      searchPropagatedAlarms: true,
    });
    expect(message.cmds[0].type).toBe('ALARM_DATA');
  });

  it('reads which subscription a reply answers', () => {
    expect(alarmReplyId(JSON.stringify({ cmdId: 3, cmdUpdateType: 'ALARM_DATA', errorCode: 0, data: null, update: [] }))).toBe(3);
    expect(alarmReplyId(JSON.stringify({ cmdId: 3, cmdUpdateType: 'ALARM_DATA', errorCode: 2 }))).toBeNull();
    expect(alarmReplyId(JSON.stringify({ cmdId: 3, cmdUpdateType: 'COUNT_DATA' }))).toBeNull();
    expect(alarmReplyId('{')).toBeNull();
  });
});
