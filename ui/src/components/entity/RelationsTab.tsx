import { Alert, Badge, Table, Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import { relationsOf } from '../../api/entities';
import { describeError } from '../../api/errors';
import type { EntityId, EntityRelationInfo } from '../../api/types';

export function RelationsTab({ entity }: { entity: EntityId }) {
  const [rows, setRows] = useState<EntityRelationInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    relationsOf(entity)
      .then(setRows)
      .catch((e: unknown) => setError(describeError(e)));
  }, [entity.entityType, entity.id]);

  if (error) return <Alert color="red">{error}</Alert>;
  if (rows && rows.length === 0) return <Text c="dimmed">No relations</Text>;
  return (
    <Table.ScrollContainer minWidth={520}>
      <Table verticalSpacing="xs">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Direction</Table.Th>
            <Table.Th>Type</Table.Th>
            <Table.Th>Entity</Table.Th>
            <Table.Th>Entity type</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(rows ?? []).map((r) => {
            const outgoing = r.from.id === entity.id;
            const other = outgoing ? r.to : r.from;
            return (
              <Table.Tr key={`${r.from.id}-${r.type}-${r.to.id}`}>
                <Table.Td>
                  <Badge variant="light" color={outgoing ? 'indigo' : 'teal'}>
                    {outgoing ? 'From this' : 'To this'}
                  </Badge>
                </Table.Td>
                <Table.Td>{r.type}</Table.Td>
                <Table.Td fw={600}>{(outgoing ? r.toName : r.fromName) ?? other.id}</Table.Td>
                <Table.Td c="dimmed">{other.entityType}</Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
