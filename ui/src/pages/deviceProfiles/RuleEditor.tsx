import { Button, Group, Select, Stack, Text, TextInput, Textarea } from '@mantine/core';
import { IconPlus } from '@tabler/icons-react';
import { newFilter, SPEC_TYPES, TIME_UNITS, type RuleForm, type SpecType, type TimeUnit } from '../../lib/alarmRules';
import { DynamicEditor, FilterEditor } from './FilterEditor';
import { ScheduleEditor } from './ScheduleEditor';

const SPEC_LABEL: Record<SpecType, string> = {
  SIMPLE: 'Simple (first match)',
  DURATION: 'Duration (true for a while)',
  REPEATING: 'Repeating (N matches in a row)',
};

/** A create or clear rule: key filters (all must hold), condition type, schedule, details. */
export function RuleEditor({ rule, onChange, clear = false }: { rule: RuleForm; onChange: (rule: RuleForm) => void; clear?: boolean }) {
  const set = (patch: Partial<RuleForm>) => onChange({ ...rule, ...patch });
  return (
    <Stack gap="xs">
      <Text size="sm" fw={600}>
        Key filters (all must hold)
      </Text>
      {rule.filters.map((filter, index) => (
        <FilterEditor
          key={index}
          filter={filter}
          onChange={(next) => set({ filters: rule.filters.map((f, i) => (i === index ? next : f)) })}
          onRemove={() => set({ filters: rule.filters.filter((_, i) => i !== index) })}
        />
      ))}
      <Group>
        <Button size="xs" variant="subtle" leftSection={<IconPlus size={14} />} onClick={() => set({ filters: [...rule.filters, newFilter()] })}>
          Add key filter
        </Button>
      </Group>
      <Group gap="xs" align="flex-end" wrap="wrap">
        <Select
          label="Condition type"
          size="xs"
          w={230}
          allowDeselect={false}
          data={SPEC_TYPES.map((s) => ({ value: s, label: SPEC_LABEL[s] }))}
          value={rule.spec}
          onChange={(v) => v && set({ spec: v as SpecType })}
        />
        {rule.spec !== 'SIMPLE' && (
          <TextInput
            label={rule.spec === 'DURATION' ? 'Duration' : 'Repeats'}
            size="xs"
            w={90}
            value={rule.specValue}
            onChange={(e) => set({ specValue: e.currentTarget.value })}
          />
        )}
        {rule.spec === 'DURATION' && (
          <Select label="Unit" size="xs" w={110} allowDeselect={false} data={[...TIME_UNITS]} value={rule.unit} onChange={(v) => v && set({ unit: v as TimeUnit })} />
        )}
      </Group>
      {rule.spec !== 'SIMPLE' && (
        <DynamicEditor label={rule.spec === 'DURATION' ? 'Duration from' : 'Repeats from'} value={rule.specDynamic} onChange={(specDynamic) => set({ specDynamic })} />
      )}
      <Text size="sm" fw={600} mt="xs">
        Schedule
      </Text>
      <ScheduleEditor value={rule.schedule} onChange={(schedule) => set({ schedule })} />
      {!clear && (
        <Textarea
          label="Alarm details"
          description="${key} is replaced by the key's current value"
          size="xs"
          autosize
          minRows={1}
          value={rule.details}
          onChange={(e) => set({ details: e.currentTarget.value })}
        />
      )}
    </Stack>
  );
}
