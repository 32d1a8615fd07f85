import { ActionIcon, Badge, Checkbox, Group, Paper, Select, Stack, Text, TextInput, Tooltip } from '@mantine/core';
import { IconTrash } from '@tabler/icons-react';
import {
  DYNAMIC_SOURCES,
  KEY_TYPES,
  operationsFor,
  VALUE_TYPES,
  type DynamicForm,
  type DynamicSource,
  type FilterForm,
  type KeyType,
  type ValueType,
} from '../../lib/alarmRules';

const KEY_LABEL: Record<KeyType, string> = {
  TIME_SERIES: 'Time series',
  ATTRIBUTE: 'Attribute',
  ENTITY_FIELD: 'Entity field',
  CONSTANT: 'Constant',
};

const SOURCE_LABEL: Record<DynamicSource, string> = {
  CURRENT_DEVICE: 'Device attribute',
  CURRENT_CUSTOMER: 'Customer attribute',
  CURRENT_TENANT: 'Tenant attribute',
};

/** Where a predicate value may come from at run time instead of its default. */
export function DynamicEditor({ value, onChange, label }: { value: DynamicForm; onChange: (v: DynamicForm) => void; label: string }) {
  return (
    <Group gap="xs" align="flex-end" wrap="wrap">
      <Select
        label={label}
        size="xs"
        w={170}
        placeholder="Fixed value"
        clearable
        data={DYNAMIC_SOURCES.map((s) => ({ value: s, label: SOURCE_LABEL[s] }))}
        value={value.source || null}
        onChange={(v) => onChange({ ...value, source: (v ?? '') as DynamicSource | '' })}
      />
      {value.source && (
        <>
          <TextInput size="xs" w={150} label="Attribute" value={value.attribute} onChange={(e) => onChange({ ...value, attribute: e.currentTarget.value })} />
          <Checkbox size="xs" mb={6} label="Inherit from owner" checked={value.inherit} onChange={(e) => onChange({ ...value, inherit: e.currentTarget.checked })} />
        </>
      )}
    </Group>
  );
}

interface Props {
  filter: FilterForm;
  onChange: (filter: FilterForm) => void;
  onRemove: () => void;
}

/** One key filter: key, value type, operation, operand (typed or dynamic). */
export function FilterEditor({ filter, onChange, onRemove }: Props) {
  const set = (patch: Partial<FilterForm>) => onChange({ ...filter, ...patch });
  const operations = operationsFor(filter.valueType);
  return (
    <Paper withBorder p="xs" radius="sm" data-testid="key-filter">
      <Stack gap={6}>
        <Group gap="xs" align="flex-end" wrap="wrap">
          <Select
            label="Key type"
            size="xs"
            w={130}
            allowDeselect={false}
            data={KEY_TYPES.map((k) => ({ value: k, label: KEY_LABEL[k] }))}
            value={filter.keyType}
            onChange={(v) => v && set({ keyType: v as KeyType })}
          />
          <TextInput label="Key" size="xs" w={150} value={filter.key} onChange={(e) => set({ key: e.currentTarget.value })} />
          {filter.keyType === 'CONSTANT' && (
            <TextInput label="Constant" size="xs" w={110} value={filter.constant} onChange={(e) => set({ constant: e.currentTarget.value })} />
          )}
          <Select
            label="Value type"
            size="xs"
            w={120}
            allowDeselect={false}
            data={[...VALUE_TYPES]}
            value={filter.valueType}
            onChange={(v) => {
              if (!v) return;
              const next = operationsFor(v as ValueType);
              set({ valueType: v as ValueType, operation: next.includes(filter.operation) ? filter.operation : (next[0] ?? 'EQUAL') });
            }}
          />
          {filter.raw ? (
            <Badge variant="light" color="grape" mb={6}>
              {filter.raw.type} predicate (edit in JSON)
            </Badge>
          ) : (
            <>
              <Select
                label="Operation"
                size="xs"
                w={170}
                allowDeselect={false}
                data={[...operations]}
                value={filter.operation}
                onChange={(v) => v && set({ operation: v })}
              />
              {filter.valueType === 'BOOLEAN' ? (
                <Select label="Value" size="xs" w={90} allowDeselect={false} data={['true', 'false']} value={filter.value === 'true' ? 'true' : 'false'} onChange={(v) => set({ value: v ?? 'false' })} />
              ) : (
                <TextInput label="Value" size="xs" w={110} value={filter.value} onChange={(e) => set({ value: e.currentTarget.value })} />
              )}
              {filter.valueType === 'STRING' && (
                <Checkbox size="xs" mb={6} label="Ignore case" checked={filter.ignoreCase} onChange={(e) => set({ ignoreCase: e.currentTarget.checked })} />
              )}
            </>
          )}
          <Tooltip label="Remove filter">
            <ActionIcon variant="subtle" color="red" mb={2} aria-label="Remove filter" onClick={onRemove}>
              <IconTrash size={16} />
            </ActionIcon>
          </Tooltip>
        </Group>
        {!filter.raw && (
          <>
            <DynamicEditor label="Value from" value={filter.dynamic} onChange={(dynamic) => set({ dynamic })} />
            {filter.dynamic.source && (
              <Text size="xs" c="dimmed">
                The attribute's value is used when present; otherwise the value above.
              </Text>
            )}
          </>
        )}
      </Stack>
    </Paper>
  );
}
