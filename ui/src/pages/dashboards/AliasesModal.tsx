import { ActionIcon, Alert, Button, Checkbox, Group, Modal, MultiSelect, NumberInput, SegmentedControl, Select, Stack, TagsInput, Table, Text, TextInput } from '@mantine/core';
import { IconEdit, IconPlus, IconTrash } from '@tabler/icons-react';
import { useState, type ReactNode } from 'react';
import {
  aliasFromForm,
  deleteAlias,
  emptyAliasForm,
  ENTITY_TYPES,
  FILTER_TYPES,
  filterSummary,
  formFromAlias,
  formProblem,
  saveAlias,
  type AliasFilterType,
  type AliasForm,
} from '../../dashboards/aliases';
import type { DashboardConfiguration } from '../../dashboards/types';
import { EntityMultiSelect, EntitySelect } from './EntitySelect';

/** The builder's entity alias manager: list, add, edit, delete (an alias in use stays). */
export function AliasesModal({ opened, config, onClose, onChange }: {
  opened: boolean;
  config: DashboardConfiguration;
  onClose: () => void;
  onChange: (next: DashboardConfiguration) => void;
}) {
  const [editing, setEditing] = useState<{ id?: string; form: AliasForm } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const aliases = Object.values(config.entityAliases);

  function remove(id: string) {
    try {
      onChange(deleteAlias(config, id));
      setProblem(null);
    } catch (e) {
      setProblem(e instanceof Error ? e.message : String(e));
    }
  }

  return (
    <Modal opened={opened} onClose={() => { setEditing(null); setProblem(null); onClose(); }} title="Entity aliases" size="xl">
      {editing ? (
        <AliasEditor
          config={config}
          editingId={editing.id}
          initial={editing.form}
          onCancel={() => setEditing(null)}
          onSave={(form) => {
            onChange(saveAlias(config, aliasFromForm(form, editing.id)));
            setEditing(null);
          }}
        />
      ) : (
        <Stack gap="sm">
          {problem && <Alert color="red" data-testid="alias-problem">{problem}</Alert>}
          {aliases.length === 0 ? (
            <Text c="dimmed" size="sm">No aliases yet: an alias names the entities widgets show.</Text>
          ) : (
            <Table data-testid="alias-list">
              <Table.Tbody>
                {aliases.map((a) => (
                  <Table.Tr key={a.id} data-testid="alias-row">
                    <Table.Td fw={600}>{a.alias}</Table.Td>
                    <Table.Td>{filterSummary(a.filter)}</Table.Td>
                    <Table.Td w={80}>
                      <Group gap={2} wrap="nowrap">
                        <ActionIcon variant="subtle" aria-label={`Edit alias ${a.alias}`} onClick={() => setEditing({ id: a.id, form: formFromAlias(a) })}>
                          <IconEdit size={16} />
                        </ActionIcon>
                        <ActionIcon variant="subtle" color="red" aria-label={`Delete alias ${a.alias}`} onClick={() => remove(a.id)}>
                          <IconTrash size={16} />
                        </ActionIcon>
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
          <Group justify="space-between">
            <Button variant="light" leftSection={<IconPlus size={16} />} onClick={() => setEditing({ form: emptyAliasForm() })} data-testid="alias-add">
              Add alias
            </Button>
            <Button variant="default" onClick={onClose}>
              Done
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}

function AliasEditor({ config, editingId, initial, onCancel, onSave }: {
  config: DashboardConfiguration;
  editingId?: string;
  initial: AliasForm;
  onCancel: () => void;
  onSave: (form: AliasForm) => void;
}) {
  const [form, setForm] = useState(initial);
  const set = <K extends keyof AliasForm>(key: K, value: AliasForm[K]) => setForm((f) => ({ ...f, [key]: value }));
  const problem = formProblem(form, config, editingId);
  const typeSelect = (label = 'Entity type') => (
    <Select label={label} data={ENTITY_TYPES} value={form.entityType} onChange={(v) => v && setForm((f) => ({ ...f, entityType: v, entityId: null, entityIds: [] }))} allowDeselect={false} data-testid="alias-entity-type" />
  );
  const fields: Record<AliasFilterType, () => ReactNode> = {
    singleEntity: () => (
      <Group grow align="flex-end">
        {typeSelect()}
        <EntitySelect label="Entity" entityType={form.entityType} value={form.entityId} onChange={(v) => set('entityId', v)} testId="alias-entity" />
      </Group>
    ),
    entityList: () => (
      <Group grow align="flex-end">
        {typeSelect()}
        <EntityMultiSelect label="Entities" entityType={form.entityType} value={form.entityIds} onChange={(v) => set('entityIds', v)} />
      </Group>
    ),
    entityName: () => (
      <Group grow align="flex-end">
        {typeSelect()}
        <TextInput label="Name starts with" value={form.namePrefix} onChange={(e) => set('namePrefix', e.currentTarget.value)} data-testid="alias-name-prefix" />
      </Group>
    ),
    entityType: () => typeSelect(),
    deviceType: () => typesFields('Device types', 'Device name starts with'),
    assetType: () => typesFields('Asset types', 'Asset name starts with'),
    relationsQuery: () => (
      <Stack gap="xs">
        <Checkbox label="Start at the entity of the dashboard state" checked={form.rootStateEntity} onChange={(e) => set('rootStateEntity', e.currentTarget.checked)} />
        {!form.rootStateEntity && (
          <Group grow align="flex-end">
            {typeSelect('Root entity type')}
            <EntitySelect label="Root entity" entityType={form.entityType} value={form.entityId} onChange={(v) => set('entityId', v)} />
          </Group>
        )}
        <Group grow align="flex-end">
          <SegmentedControl value={form.direction} onChange={(v) => set('direction', v as 'FROM' | 'TO')} data={[{ value: 'FROM', label: 'From root' }, { value: 'TO', label: 'To root' }]} />
          <NumberInput label="Max level" min={1} max={10} value={form.maxLevel} onChange={(v) => set('maxLevel', Number(v) || 1)} />
        </Group>
        <Group grow align="flex-end">
          <TextInput label="Relation type" value={form.relationType} onChange={(e) => set('relationType', e.currentTarget.value)} />
          <MultiSelect label="Entity types" data={ENTITY_TYPES} value={form.relatedTypes} onChange={(v) => set('relatedTypes', v)} />
        </Group>
      </Stack>
    ),
    stateEntity: () => (
      <TextInput label="State parameter (empty: the state's entity)" value={form.stateParamName} onChange={(e) => set('stateParamName', e.currentTarget.value)} />
    ),
  };
  function typesFields(label: string, prefixLabel: string) {
    return (
      <Group grow align="flex-end">
        <TagsInput label={label} value={form.types} onChange={(v) => set('types', v)} placeholder="Type and press Enter" data-testid="alias-types" />
        <TextInput label={prefixLabel} value={form.namePrefix} onChange={(e) => set('namePrefix', e.currentTarget.value)} />
      </Group>
    );
  }
  return (
    <Stack gap="sm">
      <Group grow align="flex-end">
        <TextInput label="Alias name" value={form.name} onChange={(e) => set('name', e.currentTarget.value)} data-testid="alias-name" />
        <Select label="Filter type" data={FILTER_TYPES} value={form.type} onChange={(v) => v && set('type', v as AliasFilterType)} allowDeselect={false} data-testid="alias-filter-type" />
      </Group>
      {fields[form.type]()}
      <Checkbox label="Resolve as multiple entities" checked={form.resolveMultiple} onChange={(e) => set('resolveMultiple', e.currentTarget.checked)} />
      {problem && <Text size="sm" c="dimmed">{problem}</Text>}
      <Group justify="flex-end">
        <Button variant="default" onClick={onCancel}>
          Cancel
        </Button>
        <Button onClick={() => onSave(form)} disabled={problem !== null} data-testid="alias-save">
          Save alias
        </Button>
      </Group>
    </Stack>
  );
}
