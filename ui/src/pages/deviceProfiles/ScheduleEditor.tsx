import { Checkbox, Chip, Group, SegmentedControl, Stack, Table, TextInput } from '@mantine/core';
import type { ScheduleForm, ScheduleType } from '../../lib/alarmRules';

const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

function TimeInput({ label, value, onChange }: { label?: string; value: string; onChange: (v: string) => void }) {
  return <TextInput type="time" size="xs" w={110} label={label} aria-label={label} value={value} onChange={(e) => onChange(e.currentTarget.value)} />;
}

/** When a rule may fire: any time, some days between two times, or per-day windows. */
export function ScheduleEditor({ value, onChange }: { value: ScheduleForm; onChange: (v: ScheduleForm) => void }) {
  const set = (patch: Partial<ScheduleForm>) => onChange({ ...value, ...patch });
  return (
    <Stack gap="xs">
      <SegmentedControl
        size="xs"
        data={[
          { value: 'ANY_TIME', label: 'Any time' },
          { value: 'SPECIFIC_TIME', label: 'Specific time' },
          { value: 'CUSTOM', label: 'Custom' },
        ]}
        value={value.type}
        onChange={(v) => set({ type: v as ScheduleType })}
        style={{ alignSelf: 'flex-start' }}
      />
      {value.type !== 'ANY_TIME' && (
        <TextInput size="xs" w={220} label="Time zone" value={value.timezone} onChange={(e) => set({ timezone: e.currentTarget.value })} />
      )}
      {value.type === 'SPECIFIC_TIME' && (
        <>
          <Chip.Group multiple value={value.daysOfWeek.map(String)} onChange={(v) => set({ daysOfWeek: v.map(Number) })}>
            <Group gap={4}>
              {DAYS.map((day, i) => (
                <Chip key={day} size="xs" value={String(i + 1)}>
                  {day}
                </Chip>
              ))}
            </Group>
          </Chip.Group>
          <Group gap="xs">
            <TimeInput label="From" value={value.startsOn} onChange={(startsOn) => set({ startsOn })} />
            <TimeInput label="To (00:00 = end of day)" value={value.endsOn} onChange={(endsOn) => set({ endsOn })} />
          </Group>
        </>
      )}
      {value.type === 'CUSTOM' && (
        <Table.ScrollContainer minWidth={340}>
          <Table verticalSpacing={4}>
            <Table.Tbody>
              {value.items.map((item, index) => {
                const patch = (p: Partial<typeof item>) =>
                  set({ items: value.items.map((it, i) => (i === index ? { ...it, ...p } : it)) });
                return (
                  <Table.Tr key={item.dayOfWeek}>
                    <Table.Td>
                      <Checkbox size="xs" label={DAYS[item.dayOfWeek - 1]} checked={item.enabled} onChange={(e) => patch({ enabled: e.currentTarget.checked })} />
                    </Table.Td>
                    <Table.Td>
                      <TimeInput value={item.startsOn} onChange={(startsOn) => patch({ startsOn })} />
                    </Table.Td>
                    <Table.Td>
                      <TimeInput value={item.endsOn} onChange={(endsOn) => patch({ endsOn })} />
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}
