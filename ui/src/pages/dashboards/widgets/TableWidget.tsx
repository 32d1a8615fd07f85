import { ScrollArea, Table, Text } from '@mantine/core';
import { useEffect, useMemo, useState } from 'react';
import { attributeValues } from '../../../dashboards/api';
import { entityKey, keyLabel } from '../../../dashboards/datasource';
import { formatReading } from '../../../dashboards/format';
import type { DataKey } from '../../../dashboards/types';
import { widgetActions } from '../../../dashboards/states';
import { useEntityNames, useLatest, useResolved } from '../hooks';
import { useRuntime } from '../runtime';
import type { WidgetProps } from './props';

/**
 * One row per entity, one column per key: live telemetry, attributes refreshed every 10 s.
 * A `rowClick` action (open a dashboard state) runs on the clicked row's entity.
 */
export function TableWidget({ widget }: WidgetProps) {
  const resolved = useResolved(widget.config.datasources);
  const { runAction } = useRuntime();
  const rowAction = widgetActions(widget, 'rowClick')[0];
  const names = useEntityNames(resolved.entities);
  const latest = useLatest(resolved.entities);
  const keys = useMemo(() => {
    const all: DataKey[] = [];
    for (const s of resolved.sources) for (const k of s.keys) if (!all.some((a) => a.name === k.name && a.type === k.type)) all.push(k);
    return all;
  }, [resolved.sources]);
  const attributeKeys = keys.filter((k) => k.type === 'attribute').map((k) => k.name);
  const [attributes, setAttributes] = useState<Record<string, Record<string, unknown>>>({});
  const signature = `${resolved.entities.map(entityKey).join('|')}#${attributeKeys.join(',')}`;

  useEffect(() => {
    if (!attributeKeys.length) return;
    let current = true;
    const load = () =>
      void Promise.all(resolved.entities.map(async (e) => [entityKey(e), await attributeValues(e, attributeKeys).catch(() => ({}))] as const)).then(
        (rows) => current && setAttributes(Object.fromEntries(rows)),
      );
    load();
    const timer = setInterval(load, 10_000);
    return () => {
      current = false;
      clearInterval(timer);
    };
  }, [signature]); // the signature covers entities and keys

  if (resolved.problem) return <Text c="dimmed" size="sm" p="sm">{resolved.problem}</Text>;
  return (
    <ScrollArea h="100%" type="auto">
      <Table striped highlightOnHover stickyHeader miw={Math.max(240, 120 * (keys.length + 1))} data-testid="entities-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Entity</Table.Th>
            {keys.map((k) => (
              <Table.Th key={`${k.type}:${k.name}`}>{keyLabel(k)}</Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {resolved.entities.map((e) => {
            const id = entityKey(e);
            return (
              <Table.Tr
                key={id}
                data-testid="entity-row"
                style={rowAction ? { cursor: 'pointer' } : undefined}
                onClick={rowAction ? () => runAction(rowAction, { ...e, name: names[id] ?? e.name }) : undefined}
              >
                <Table.Td>{names[id] ?? e.name ?? '…'}</Table.Td>
                {keys.map((k) => (
                  <Table.Td key={`${k.type}:${k.name}`}>
                    {formatReading(
                      k.type === 'attribute' ? attributes[id]?.[k.name] : latest[id]?.[k.name]?.value,
                      k.decimals ?? widget.config.decimals,
                      k.units ?? widget.config.units,
                    )}
                  </Table.Td>
                ))}
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </ScrollArea>
  );
}
