import { useCallback, useEffect, useState } from 'react';
import { Alert, Badge, Button, Code, Group, Stack, Table, Text } from '@mantine/core';
import { api } from '../../api/instance';
import type { NodeStats } from '../../api/ruleChains';
import type { PageData } from '../../api/types';

interface Props {
  stats: NodeStats[] | null;
  error: string | null;
  selected: string | null;
}

/** One `EventInfo` of `GET /api/events/RULE_NODE/{id}/DEBUG_RULE_NODE` (ThingsBoard's shape). */
interface DebugEvent {
  id: { id: string };
  createdTime: number;
  body: {
    type?: 'IN' | 'OUT';
    msgType?: string;
    relationType?: string;
    data?: string;
    metadata?: string;
    error?: string;
    entityId?: string;
  };
}

const EVENTS_EVERY_MS = 3000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function short(text: string | undefined, max = 120): string {
  if (!text) return '';
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** The selected node's debug events (newest first), refreshed while the panel is open. */
function DebugEvents({ nodeId }: { nodeId: string }) {
  const [events, setEvents] = useState<DebugEvent[] | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const path = `/api/events/RULE_NODE/${nodeId}`;

  const load = useCallback(async () => {
    try {
      const page = await api.get<PageData<DebugEvent>>(`${path}/DEBUG_RULE_NODE`, {
        pageSize: 50,
        page: 0,
        sortProperty: 'createdTime',
        sortOrder: 'DESC',
      });
      setEvents(page.data);
      setFailure(null);
    } catch (err) {
      setFailure(err instanceof Error ? err.message : String(err));
    }
  }, [path]);

  useEffect(() => {
    void load();
    const timer = window.setInterval(() => void load(), EVENTS_EVERY_MS);
    return () => window.clearInterval(timer);
  }, [load]);

  const clear = async () => {
    await api.post(`${path}/clear`, { eventType: 'DEBUG_RULE_NODE' });
    await load();
  };

  return (
    <Stack gap={4} data-testid="debug-events">
      <Group justify="space-between">
        <Text size="sm" fw={500}>
          Debug events
        </Text>
        <Button size="compact-xs" variant="subtle" onClick={() => void clear()}>
          Clear
        </Button>
      </Group>
      {failure && (
        <Alert color="red" variant="light" p="xs">
          {failure}
        </Alert>
      )}
      {events && events.length === 0 && (
        <Text size="xs" c="dimmed">
          No events. Turn on debug mode for this node and save the chain to record its messages.
        </Text>
      )}
      {events && events.length > 0 && (
        <Table.ScrollContainer minWidth={480}>
          <Table verticalSpacing={2} fz="xs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Time</Table.Th>
                <Table.Th>Type</Table.Th>
                <Table.Th>Message type</Table.Th>
                <Table.Th>Relation</Table.Th>
                <Table.Th>Data</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {events.map((e) => (
                <Table.Tr key={e.id.id} data-testid="debug-event">
                  <Table.Td>{new Date(e.createdTime).toLocaleTimeString()}</Table.Td>
                  <Table.Td>
                    <Badge size="xs" color={e.body.type === 'IN' ? 'blue' : 'teal'}>
                      {e.body.type}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{e.body.msgType}</Table.Td>
                  <Table.Td c={e.body.error ? 'red' : undefined}>{e.body.relationType ?? ''}</Table.Td>
                  <Table.Td>
                    <Code title={e.body.metadata}>{short(e.body.data)}</Code>
                    {e.body.error && (
                      <Text size="xs" c="red">
                        {e.body.error}
                      </Text>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}

/**
 * What the chain's nodes did: the per-node counters of `GET /api/ruleChain/{id}/stats`
 * (refreshed while open) and, for a selected saved node, its debug events from
 * ThingsBoard's events API.
 */
export function DebugPanel({ stats, error, selected }: Props) {
  const rows = selected ? (stats ?? []).filter((s) => s.ruleNodeId === selected) : stats ?? [];
  return (
    <Stack gap="xs" data-testid="debug-panel">
      <Alert variant="light" color="gray" p="xs">
        <Text size="xs">
          Message counters since the chain was last loaded; select a saved node to see its debug events.
        </Text>
      </Alert>
      {error && (
        <Alert color="red" variant="light" p="xs">
          {error}
        </Alert>
      )}
      {stats && rows.length === 0 && (
        <Text size="sm" c="dimmed">
          {selected ? 'This node is not saved yet: no counters.' : 'No counters: save the chain first.'}
        </Text>
      )}
      {rows.length > 0 && (
        <Table.ScrollContainer minWidth={360}>
          <Table verticalSpacing={4} fz="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Node</Table.Th>
                <Table.Th>Processed</Table.Th>
                <Table.Th>Failed</Table.Th>
                <Table.Th>Mean ms</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((s) => (
                <Table.Tr key={s.ruleNodeId} data-testid={`stats-${s.name}`}>
                  <Table.Td>
                    <Group gap={4} wrap="nowrap">
                      <Text size="sm">{s.name}</Text>
                      {s.scriptDisabledReason && (
                        <Badge size="xs" color="red" title={s.scriptDisabledReason}>
                          script disabled
                        </Badge>
                      )}
                    </Group>
                  </Table.Td>
                  <Table.Td data-testid="processed">{s.processed}</Table.Td>
                  <Table.Td c={s.failed ? 'red' : undefined}>{s.failed}</Table.Td>
                  <Table.Td>{s.meanTimeMs.toFixed(3)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {rows.length === 1 && rows[0]?.scriptDisabledReason && (
        <Alert color="red" variant="light" p="xs">
          {rows[0].scriptDisabledReason}
        </Alert>
      )}
      {selected && UUID.test(selected) && <DebugEvents nodeId={selected} />}
    </Stack>
  );
}
