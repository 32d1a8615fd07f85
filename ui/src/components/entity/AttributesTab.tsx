import { ActionIcon, Alert, Button, Group, Modal, SegmentedControl, Stack, Table, Text, TextInput, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPencil, IconPlus, IconTrash } from '@tabler/icons-react';
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { describeError } from '../../api/errors';
import { attributes, deleteAttributes, saveAttributes } from '../../api/telemetry';
import type { AttributeEntry, AttributeScope, EntityId } from '../../api/types';
import { useUser } from '../../auth/session';
import { confirmAction } from '../../components/confirm';
import { formatTime, formatValue, parseValue } from '../../lib/format';
import { devicePermissions } from '../../lib/navigation';

const SCOPES: { value: AttributeScope; label: string }[] = [
  { value: 'SERVER_SCOPE', label: 'Server' },
  { value: 'SHARED_SCOPE', label: 'Shared' },
  { value: 'CLIENT_SCOPE', label: 'Client' },
];

export function AttributesTab({ entity }: { entity: EntityId }) {
  const can = devicePermissions(useUser().authority);
  const [scope, setScope] = useState<AttributeScope>('SERVER_SCOPE');
  const [rows, setRows] = useState<AttributeEntry[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<{ key: string; value: string; isNew: boolean } | null>(null);
  const writable = (can.writableScopes as AttributeScope[]).includes(scope);

  const load = useCallback(() => {
    attributes(entity, scope)
      .then((r) => {
        setRows([...r].sort((a, b) => a.key.localeCompare(b.key)));
        setError(null);
      })
      .catch((e: unknown) => setError(describeError(e)));
  }, [entity.entityType, entity.id, scope]);
  useEffect(load, [load]);

  async function save(event: FormEvent) {
    event.preventDefault();
    if (!editing) return;
    try {
      await saveAttributes(entity, scope, { [editing.key.trim()]: parseValue(editing.value) });
      setEditing(null);
      load();
    } catch (e) {
      notifications.show({ color: 'red', message: describeError(e) });
    }
  }

  async function remove(key: string) {
    if (!confirmAction(`Delete attribute "${key}"?`)) return;
    try {
      await deleteAttributes(entity, scope, [key]);
      load();
    } catch (e) {
      notifications.show({ color: 'red', message: describeError(e) });
    }
  }

  return (
    <Stack>
      <Group justify="space-between">
        <SegmentedControl data={SCOPES} value={scope} onChange={(v) => setScope(v as AttributeScope)} aria-label="Attribute scope" />
        {writable && (
          <Button leftSection={<IconPlus size={16} />} variant="light" onClick={() => setEditing({ key: '', value: '', isNew: true })}>
            Add attribute
          </Button>
        )}
      </Group>
      {scope === 'CLIENT_SCOPE' && (
        <Text size="sm" c="dimmed">
          Client attributes are reported by the device and read-only here.
        </Text>
      )}
      {error && <Alert color="red">{error}</Alert>}
      <Table.ScrollContainer minWidth={520}>
        <Table verticalSpacing="xs">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Key</Table.Th>
              <Table.Th>Value</Table.Th>
              <Table.Th>Last update</Table.Th>
              {writable && <Table.Th style={{ width: 1 }} />}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((row) => (
              <Table.Tr key={row.key}>
                <Table.Td fw={600}>{row.key}</Table.Td>
                <Table.Td className="mono">{formatValue(row.value)}</Table.Td>
                <Table.Td c="dimmed">{formatTime(row.lastUpdateTs)}</Table.Td>
                {writable && (
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>
                    <Tooltip label="Edit">
                      <ActionIcon variant="subtle" aria-label={`Edit ${row.key}`} onClick={() => setEditing({ key: row.key, value: formatValue(row.value), isNew: false })}>
                        <IconPencil size={16} />
                      </ActionIcon>
                    </Tooltip>
                    <Tooltip label="Delete">
                      <ActionIcon variant="subtle" color="red" aria-label={`Delete ${row.key}`} onClick={() => remove(row.key)}>
                        <IconTrash size={16} />
                      </ActionIcon>
                    </Tooltip>
                  </Table.Td>
                )}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {rows.length === 0 && !error && (
        <Text c="dimmed" ta="center" py="md">
          No attributes in this scope
        </Text>
      )}
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={editing?.isNew ? 'Add attribute' : 'Edit attribute'} centered>
        {editing && (
          <form onSubmit={save}>
            <Stack>
              <TextInput label="Key" required disabled={!editing.isNew} value={editing.key} onChange={(e) => setEditing({ ...editing, key: e.currentTarget.value })} />
              <TextInput
                label="Value"
                description="Numbers, true/false and JSON keep their type"
                value={editing.value}
                onChange={(e) => setEditing({ ...editing, value: e.currentTarget.value })}
                data-autofocus
              />
              <Group justify="flex-end">
                <Button variant="default" onClick={() => setEditing(null)}>
                  Cancel
                </Button>
                <Button type="submit" disabled={!editing.key.trim()}>
                  Save
                </Button>
              </Group>
            </Stack>
          </form>
        )}
      </Modal>
    </Stack>
  );
}
