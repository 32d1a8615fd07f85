import { Center, Stack, Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import { attributeValues } from '../../../dashboards/api';
import { entityKey, keyLabel } from '../../../dashboards/datasource';
import { formatReading } from '../../../dashboards/format';
import { formatTime } from '../../../lib/format';
import { useLatest, useResolved } from '../hooks';
import type { WidgetProps } from './props';

/** The latest value of the first key of the first entity, large, with its time. */
export function CardWidget({ widget }: WidgetProps) {
  const resolved = useResolved(widget.config.datasources);
  const entity = resolved.entities[0];
  const latest = useLatest(entity ? [entity] : []);
  const key = resolved.sources.flatMap((s) => s.keys)[0];
  const [attribute, setAttribute] = useState<unknown>(undefined);

  useEffect(() => {
    if (!entity || key?.type !== 'attribute') return;
    let current = true;
    const load = () => void attributeValues(entity, [key.name]).then((v) => current && setAttribute(v[key.name])).catch(() => {});
    load();
    const timer = setInterval(load, 5000);
    return () => {
      current = false;
      clearInterval(timer);
    };
  }, [entity, key?.type, key?.name]);

  if (resolved.problem || !key || !entity) {
    return (
      <Center h="100%">
        <Text c="dimmed" size="sm">
          {resolved.problem ?? 'Choose a key'}
        </Text>
      </Center>
    );
  }
  const point = key.type === 'attribute' ? undefined : latest[entityKey(entity)]?.[key.name];
  const value = key.type === 'attribute' ? attribute : point?.value;
  const units = key.units ?? widget.config.units;
  const decimals = key.decimals ?? widget.config.decimals;
  return (
    <Center h="100%">
      <Stack gap={2} align="center">
        <Text size="sm" c="dimmed">
          {keyLabel(key)}
        </Text>
        <Text fz={32} fw={700} data-testid="card-value" style={{ lineHeight: 1.1 }}>
          {formatReading(value, decimals, units)}
        </Text>
        {point && (
          <Text size="xs" c="dimmed">
            {formatTime(point.ts)}
          </Text>
        )}
      </Stack>
    </Center>
  );
}
