import { Center, Text } from '@mantine/core';
import { useMemo } from 'react';
import { entityKey, keyLabel } from '../../../dashboards/datasource';
import { numeric } from '../../../dashboards/format';
import type { DataKey } from '../../../dashboards/types';
import { useEntityNames, useResolved, useSeries } from '../hooks';
import type { WidgetProps } from './props';
import { useEChart } from './echarts';

/** Time-series line or bar chart over the dashboard's time window, live in real-time mode. */
export function ChartWidget({ widget, kind }: WidgetProps) {
  const resolved = useResolved(widget.config.datasources);
  const keys = useMemo(() => {
    const all: DataKey[] = [];
    for (const s of resolved.sources) for (const k of s.keys) if (k.type === 'timeseries' && !all.some((a) => a.name === k.name)) all.push(k);
    return all;
  }, [resolved.sources]);
  const names = useEntityNames(resolved.entities);
  const series = useSeries(resolved.entities, keys.map((k) => k.name));
  const { units, decimals } = widget.config;
  const bar = kind === 'barChart';

  const [option, points] = useMemo(() => {
    let count = 0;
    const many = resolved.entities.length > 1;
    const list = resolved.entities.flatMap((e) =>
      keys.map((k) => {
        const data = (series.data[entityKey(e)]?.[k.name] ?? []).map((p) => [p.ts, numeric(p.value)]);
        count += data.length;
        return {
          name: many ? `${names[entityKey(e)] ?? e.id} ${keyLabel(k)}` : keyLabel(k),
          type: bar ? 'bar' : 'line',
          showSymbol: data.length < 60,
          smooth: false,
          data,
        };
      }),
    );
    const format = (v: number) => (decimals !== undefined ? v.toFixed(decimals) : String(v)) + (units ? ` ${units}` : '');
    return [
      {
        animation: false,
        grid: { left: 48, right: 16, top: 28, bottom: 28 },
        tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => (typeof v === 'number' ? format(v) : String(v)) },
        legend: { top: 0, type: 'scroll' },
        xAxis: { type: 'time', min: series.range.startTs, max: series.range.endTs },
        yAxis: { type: 'value', scale: true, axisLabel: { formatter: (v: number) => format(v) } },
        series: list,
      },
      count,
    ] as const;
  }, [resolved.entities, keys, series, names, bar, units, decimals]);

  const ref = useEChart(option);
  const empty = resolved.problem ?? (keys.length ? null : 'Choose time-series keys');
  return (
    <div style={{ position: 'relative', height: '100%' }} data-testid="chart" data-points={points}>
      <div ref={ref} style={{ position: 'absolute', inset: 0 }} />
      {empty && (
        <Center style={{ position: 'absolute', inset: 0 }}>
          <Text c="dimmed" size="sm">
            {empty}
          </Text>
        </Center>
      )}
      {series.error && (
        <Text c="red" size="xs" style={{ position: 'absolute', bottom: 0, left: 4 }}>
          {series.error}
        </Text>
      )}
    </div>
  );
}
