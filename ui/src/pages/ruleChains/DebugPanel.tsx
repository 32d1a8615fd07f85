import { Alert, Badge, Group, Stack, Table, Text } from '@mantine/core';
import type { NodeStats } from '../../api/ruleChains';

interface Props {
  stats: NodeStats[] | null;
  error: string | null;
  selected: string | null;
}

/**
 * What the chain's nodes did. The API has no debug events endpoint yet, so this shows the
 * per-node counters of `GET /api/ruleChain/{id}/stats` (refreshed while open) and says so.
 */
export function DebugPanel({ stats, error, selected }: Props) {
  const rows = selected ? (stats ?? []).filter((s) => s.ruleNodeId === selected) : stats ?? [];
  return (
    <Stack gap="xs" data-testid="debug-panel">
      <Alert variant="light" color="gray" p="xs">
        <Text size="xs">
          Debug events are not available from this server yet; these are the nodes' message counters since the
          chain was last loaded, refreshed every few seconds.
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
    </Stack>
  );
}
