import { describe, expect, it } from 'vitest';
import { defaultConfig, describeWidget, LIBRARY } from './library';

describe('widget library', () => {
  it('finds every library widget by its ThingsBoard type, and similar imported types', () => {
    for (const d of LIBRARY) expect(describeWidget(d.typeFullFqn)).toBe(d);
    expect(describeWidget('system.time_series_chart')?.kind).toBe('lineChart');
    expect(describeWidget('system.digital_gauges.simple_gauge_justgage')?.kind).toBe('gauge');
    expect(describeWidget('system.unknown_widget')).toBeUndefined();
  });

  it('gives new widgets their own settings', () => {
    const a = defaultConfig('map');
    const b = defaultConfig('map');
    expect(a.settings).toEqual({ tileUrl: '', latitudeKey: 'latitude', longitudeKey: 'longitude' });
    expect(a.settings).not.toBe(b.settings);
    expect(a.datasources).toEqual([]);
  });
});
