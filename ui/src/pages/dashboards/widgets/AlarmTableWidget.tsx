import { Badge, ScrollArea, Table, Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import { entityAlarms, type AlarmRow } from '../../../dashboards/api';
import { entityKey } from '../../../dashboards/datasource';
import { formatTime } from '../../../lib/format';
import { useEntityNames, useResolved } from '../hooks';
import { setting, type WidgetProps } from './props';

const SEVERITY_COLOR: Record<string, string> = { CRITICAL: 'red', MAJOR: 'orange', MINOR: 'yellow', WARNING: 'blue', INDETERMINATE: 'gray' };
const REFRESH_MS = 5000;
const MAX_ENTITIES = 20;

/** Alarms of the widget's entities, newest first, refreshed every few seconds (REST). */
export function AlarmTableWidget({ widget }: WidgetProps) {
  const resolved = useResolved(widget.config.datasources);
  const names = useEntityNames(resolved.entities);
  const status = setting(widget, 'status', 'ACTIVE');
  const [alarms, setAlarms] = useState<AlarmRow[]>([]);
  const [error, setError] = useState<string | null>(null);
  const signature = `${resolved.entities.map(entityKey).join('|')}#${status}`;

  useEffect(() => {
    let current = true;
    const load = () =>
      void Promise.all(resolved.entities.slice(0, MAX_ENTITIES).map((e) => entityAlarms(e, status).then((p) => p.data)))
        .then((pages) => {
          if (!current) return;
          setAlarms(pages.flat().sort((a, b) => b.createdTime - a.createdTime));
          setError(null);
        })
        .catch((e: unknown) => current && setError(e instanceof Error ? e.message : String(e)));
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      current = false;
      clearInterval(timer);
    };
  }, [signature]); // the signature covers entities and status

  if (resolved.problem) return <Text c="dimmed" size="sm" p="sm">{resolved.problem}</Text>;
  return (
    <ScrollArea h="100%" type="auto">
      {error && <Text c="red" size="xs">{error}</Text>}
      <Table striped stickyHeader miw={420} data-testid="alarm-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Created</Table.Th>
            <Table.Th>Originator</Table.Th>
            <Table.Th>Type</Table.Th>
            <Table.Th>Severity</Table.Th>
            <Table.Th>Status</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {alarms.length === 0 && (
            <Table.Tr>
              <Table.Td colSpan={5}>
                <Text c="dimmed" size="sm">No alarms</Text>
              </Table.Td>
            </Table.Tr>
          )}
          {alarms.map((a) => (
            <Table.Tr key={a.id.id}>
              <Table.Td>{formatTime(a.createdTime)}</Table.Td>
              <Table.Td>{a.originatorName ?? (a.originator ? names[entityKey(a.originator)] : '') ?? ''}</Table.Td>
              <Table.Td>{a.type}</Table.Td>
              <Table.Td>
                <Badge color={SEVERITY_COLOR[a.severity] ?? 'gray'} variant="light">{a.severity}</Badge>
              </Table.Td>
              <Table.Td>{a.status}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </ScrollArea>
  );
}
