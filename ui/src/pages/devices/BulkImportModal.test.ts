import { describe, expect, it } from 'vitest';
import { guessColumn } from './BulkImportModal';

describe('CSV column guessing', () => {
  it('maps known headers to their column type', () => {
    expect(guessColumn('name')).toEqual({ type: 'NAME', key: '' });
    expect(guessColumn(' Token ')).toEqual({ type: 'ACCESS_TOKEN', key: '' });
    expect(guessColumn('client id')).toEqual({ type: 'MQTT_CLIENT_ID', key: '' });
    expect(guessColumn('gateway')).toEqual({ type: 'IS_GATEWAY', key: '' });
  });
  it('imports anything else as a server attribute named after the header', () => {
    expect(guessColumn('floor')).toEqual({ type: 'SERVER_ATTRIBUTE', key: 'floor' });
    expect(guessColumn('timeseries')).toEqual({ type: 'SERVER_ATTRIBUTE', key: 'timeseries' });
  });
});
