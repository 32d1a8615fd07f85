import { Alert, Badge, Group, Stack, Table, Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { EntityId, LatestTelemetry } from '../../api/types';
import { formatTime, formatValue } from '../../lib/format';
import { mergeLatest, type LiveMode } from '../../live/latest';
import { liveLatest, POLL_INTERVAL_MS } from '../../live/sources';

const MODE_LABEL: Record<LiveMode, string> = {
  connecting: 'Connecting…',
  websocket: 'Live',
  polling: `Live (every ${POLL_INTERVAL_MS / 1000} s)`,
};

/** The newest value of every key, kept current by the live source. */
export function TelemetryTab({ entity }: { entity: EntityId }) {
  const [latest, setLatest] = useState<LatestTelemetry>({});
  const [mode, setMode] = useState<LiveMode>('connecting');
  const [error, setError] = useState<string | null>(null);
  const [flash, setFlash] = useState<Set<string>>(new Set());

  useEffect(() => {
    setLatest({});
    const subscription = liveLatest.subscribe(entity, {
      onData: (update) => {
        setError(null);
        setLatest((current) => {
          const next = mergeLatest(current, update);
          if (next !== current && Object.keys(current).length > 0) {
            setFlash(new Set(Object.keys(update).filter((k) => next[k] !== current[k])));
          }
          return next;
        });
      },
      onMode: setMode,
      onError: setError,
    });
    return () => subscription.close();
  }, [entity.entityType, entity.id]);

  const keys = Object.keys(latest).sort();
  return (
    <Stack>
      <Group justify="space-between">
        <Text size="sm" c="dimmed">
          Newest value of each key the device reported.
        </Text>
        <Badge variant="dot" color={mode === 'connecting' ? 'gray' : 'green'} data-testid="live-mode">
          {MODE_LABEL[mode]}
        </Badge>
      </Group>
      {error && <Alert color="red" variant="light">{error}</Alert>}
      <Table.ScrollContainer minWidth={480}>
        <Table verticalSpacing="xs" data-testid="latest-telemetry">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Key</Table.Th>
              <Table.Th>Value</Table.Th>
              <Table.Th>Time</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {keys.map((key) => (
              <Table.Tr key={key} data-key={key} className={flash.has(key) ? 'flash' : undefined}>
                <Table.Td fw={600}>{key}</Table.Td>
                <Table.Td className="mono" data-testid={`value-${key}`}>{formatValue(latest[key]?.value)}</Table.Td>
                <Table.Td c="dimmed">{formatTime(latest[key]?.ts)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {keys.length === 0 && (
        <Text c="dimmed" ta="center" py="md">
          No telemetry yet. Values appear here as soon as the device publishes them.
        </Text>
      )}
    </Stack>
  );
}
