import { ActionIcon, Badge, Button, Group, Modal, Stack, Table, TextInput, Tooltip } from '@mantine/core';
import { IconHome, IconPlus, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { rootStateId } from '../../dashboards/config';
import { addState, deleteState, renameState, setRootState } from '../../dashboards/states';
import type { DashboardConfiguration } from '../../dashboards/types';

/** The builder's state manager: add, rename, delete (not the root) and choose the root state. */
export function StatesModal({ opened, config, onClose, onChange, onOpen }: {
  opened: boolean;
  config: DashboardConfiguration;
  onClose: () => void;
  onChange: (next: DashboardConfiguration) => void;
  /** Show a state (a new one right after adding it, to place widgets in it). */
  onOpen: (stateId: string, config: DashboardConfiguration) => void;
}) {
  const [name, setName] = useState('');
  const root = rootStateId(config);

  function add() {
    const [next, id] = addState(config, name);
    onChange(next);
    setName('');
    onOpen(id, next);
    onClose();
  }

  return (
    <Modal opened={opened} onClose={onClose} title="Dashboard states" size="lg">
      <Stack gap="sm">
        <Table data-testid="state-list">
          <Table.Tbody>
            {Object.entries(config.states).map(([id, state]) => (
              <Table.Tr key={id} data-testid="state-row">
                <Table.Td>
                  <TextInput
                    aria-label={`Name of state ${id}`}
                    defaultValue={state.name}
                    onBlur={(e) => onChange(renameState(config, id, e.currentTarget.value))}
                    data-testid={`state-name-${id}`}
                  />
                </Table.Td>
                <Table.Td c="dimmed">{id}</Table.Td>
                <Table.Td w={140}>
                  <Group gap={4} wrap="nowrap">
                    {id === root ? (
                      <Badge variant="light">root</Badge>
                    ) : (
                      <>
                        <Tooltip label="Make root">
                          <ActionIcon variant="subtle" aria-label={`Make ${state.name} the root state`} onClick={() => onChange(setRootState(config, id))}>
                            <IconHome size={16} />
                          </ActionIcon>
                        </Tooltip>
                        <Tooltip label="Delete with its widgets">
                          <ActionIcon variant="subtle" color="red" aria-label={`Delete state ${state.name}`} onClick={() => onChange(deleteState(config, id))}>
                            <IconTrash size={16} />
                          </ActionIcon>
                        </Tooltip>
                      </>
                    )}
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        <Group align="flex-end">
          <TextInput label="New state" placeholder="Device details" value={name} onChange={(e) => setName(e.currentTarget.value)} style={{ flex: 1 }} data-testid="state-new-name" />
          <Button leftSection={<IconPlus size={16} />} onClick={add} disabled={!name.trim()} data-testid="state-add">
            Add state
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
