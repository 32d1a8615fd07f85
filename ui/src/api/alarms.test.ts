import { describe, expect, it } from 'vitest';
import { DEFAULT_PAGE_LINK } from '../lib/pageLink';
import { alarmQuery, CUSTOM_RANGE, EMPTY_ALARM_FILTER } from './alarms';

describe('alarm list query', () => {
  it('leaves out filters that are not set', () => {
    expect(alarmQuery(DEFAULT_PAGE_LINK, EMPTY_ALARM_FILTER, 1000)).toEqual({
      pageSize: '10',
      page: '0',
      sortProperty: 'createdTime',
      sortOrder: 'DESC',
    });
  });

  it('sends list filters as CSV and the time window as a range ending now', () => {
    const filter = { statuses: ['ACTIVE', 'UNACK'] as const, severities: ['CRITICAL', 'MAJOR'] as const, types: ['Leak', 'Fire'], window: 3_600_000 };
    const query = alarmQuery({ ...DEFAULT_PAGE_LINK, textSearch: ' leak ' }, { ...filter, statuses: [...filter.statuses], severities: [...filter.severities] }, 10_000_000);
    expect(query).toMatchObject({
      statusList: 'ACTIVE,UNACK',
      severityList: 'CRITICAL,MAJOR',
      typeList: 'Leak,Fire',
      startTime: '6400000',
      endTime: '10000000',
      textSearch: 'leak',
    });
  });

  it('sends a custom range as given, open ends left out', () => {
    const range = { ...EMPTY_ALARM_FILTER, window: CUSTOM_RANGE, from: 1_000, to: null };
    const query = alarmQuery(DEFAULT_PAGE_LINK, range, 99_999);
    expect(query.startTime).toBe('1000');
    expect(query.endTime).toBeUndefined();
  });
});
