import { Center, Text } from '@mantine/core';
import { useMemo } from 'react';
import { entityKey, keyLabel } from '../../../dashboards/datasource';
import { formatReading, numeric } from '../../../dashboards/format';
import { useLatest, useResolved } from '../hooks';
import { useEChart } from './echarts';
import { setting, type WidgetProps } from './props';

/** The latest value of the first key on a dial between the configured min and max. */
export function GaugeWidget({ widget }: WidgetProps) {
  const resolved = useResolved(widget.config.datasources);
  const latest = useLatest(resolved.entities.slice(0, 1));
  const entity = resolved.entities[0];
  const key = resolved.sources.flatMap((s) => s.keys)[0];
  const point = entity && key ? latest[entityKey(entity)]?.[key.name] : undefined;
  const value = numeric(point?.value);
  const { units, decimals } = widget.config;
  const min = Number(setting(widget, 'min', 0));
  const max = Number(setting(widget, 'max', 100));

  const option = useMemo(
    () => ({
      animation: false,
      series: [
        {
          type: 'gauge',
          min,
          max,
          progress: { show: true, width: 12 },
          axisLine: { lineStyle: { width: 12 } },
          axisLabel: { distance: 16, fontSize: 10 },
          splitLine: { length: 8 },
          pointer: { width: 4 },
          detail: { fontSize: 18, offsetCenter: [0, '70%'], formatter: () => formatReading(value, decimals, units) },
          title: { offsetCenter: [0, '95%'], fontSize: 12 },
          data: [{ value: value ?? min, name: key ? keyLabel(key) : '' }],
        },
      ],
    }),
    [min, max, value, decimals, units, key],
  );
  const ref = useEChart(option);
  return (
    <div style={{ position: 'relative', height: '100%' }} data-testid="gauge" data-value={value ?? ''}>
      <div ref={ref} style={{ position: 'absolute', inset: 0 }} />
      {(resolved.problem || !key) && (
        <Center style={{ position: 'absolute', inset: 0 }}>
          <Text c="dimmed" size="sm">
            {resolved.problem ?? 'Choose a key'}
          </Text>
        </Center>
      )}
    </div>
  );
}
