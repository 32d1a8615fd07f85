import { Accordion, ActionIcon, Badge, Button, Checkbox, Divider, Group, Paper, Select, Stack, TagsInput, Text, TextInput, Tooltip } from '@mantine/core';
import { IconPlus, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { newAlarm, newRule, SEVERITY_ORDER, type AlarmForm, type Severity } from '../../lib/alarmRules';
import { SeverityBadge } from '../alarms/SeverityBadge';
import { RuleEditor } from './RuleEditor';

/** One alarm definition: type, a create condition per severity, optional clear rule, propagation. */
function AlarmEditor({ alarm, onChange }: { alarm: AlarmForm; onChange: (a: AlarmForm) => void }) {
  const set = (patch: Partial<AlarmForm>) => onChange({ ...alarm, ...patch });
  const used = new Set(alarm.create.map((c) => c.severity));
  const free = SEVERITY_ORDER.filter((s) => !used.has(s));
  return (
    <Stack gap="sm">
      <TextInput label="Alarm type" required w={320} maw="100%" value={alarm.alarmType} onChange={(e) => set({ alarmType: e.currentTarget.value })} />
      <Divider label="Create conditions" labelPosition="left" />
      {alarm.create.map((entry, index) => (
        <Paper key={entry.severity} withBorder p="sm" radius="md" data-testid={`create-${entry.severity}`}>
          <Group justify="space-between" mb="xs">
            <Select
              aria-label="Severity"
              size="xs"
              w={170}
              allowDeselect={false}
              data={SEVERITY_ORDER.filter((s) => s === entry.severity || !used.has(s))}
              value={entry.severity}
              onChange={(v) =>
                v && set({ create: alarm.create.map((c, i) => (i === index ? { ...c, severity: v as Severity } : c)) })
              }
            />
            <Tooltip label="Remove condition">
              <ActionIcon variant="subtle" color="red" aria-label={`Remove ${entry.severity} condition`} onClick={() => set({ create: alarm.create.filter((_, i) => i !== index) })}>
                <IconTrash size={16} />
              </ActionIcon>
            </Tooltip>
          </Group>
          <RuleEditor
            rule={entry.rule}
            onChange={(rule) => set({ create: alarm.create.map((c, i) => (i === index ? { ...c, rule } : c)) })}
          />
        </Paper>
      ))}
      {free.length > 0 && (
        <Group>
          <Button
            size="xs"
            variant="light"
            leftSection={<IconPlus size={14} />}
            onClick={() => set({ create: [...alarm.create, { severity: free[0]!, rule: newRule() }] })}
          >
            Add create condition
          </Button>
        </Group>
      )}
      <Divider label="Clear condition" labelPosition="left" />
      {alarm.clear ? (
        <Paper withBorder p="sm" radius="md" data-testid="clear-rule">
          <Group justify="flex-end" mb="xs">
            <Button size="xs" variant="subtle" color="red" onClick={() => set({ clear: null })}>
              Remove clear condition
            </Button>
          </Group>
          <RuleEditor rule={alarm.clear} clear onChange={(clear) => set({ clear })} />
        </Paper>
      ) : (
        <Group>
          <Button size="xs" variant="light" leftSection={<IconPlus size={14} />} onClick={() => set({ clear: newRule() })}>
            Add clear condition
          </Button>
        </Group>
      )}
      <Divider label="Propagation" labelPosition="left" />
      <Group gap="lg">
        <Checkbox label="Propagate along relations" checked={alarm.propagate} onChange={(e) => set({ propagate: e.currentTarget.checked })} />
        <Checkbox label="Propagate to owner" checked={alarm.propagateToOwner} onChange={(e) => set({ propagateToOwner: e.currentTarget.checked })} />
        <Checkbox label="Propagate to tenant" checked={alarm.propagateToTenant} onChange={(e) => set({ propagateToTenant: e.currentTarget.checked })} />
      </Group>
      {alarm.propagate && (
        <TagsInput
          label="Relation types"
          description="Empty: every relation type"
          w={420}
          maw="100%"
          value={alarm.relationTypes}
          onChange={(relationTypes) => set({ relationTypes })}
        />
      )}
    </Stack>
  );
}

/** Every alarm definition of a profile, each in its own panel. */
export function AlarmRulesEditor({ alarms, onChange }: { alarms: AlarmForm[]; onChange: (a: AlarmForm[]) => void }) {
  const [opened, setOpened] = useState<string[]>(() => alarms.map((a) => a.id));
  return (
    <Stack>
      {alarms.length === 0 && <Text c="dimmed">No alarm rules: devices of this profile raise no alarms by themselves.</Text>}
      <Accordion variant="separated" multiple value={opened} onChange={setOpened}>
        {alarms.map((alarm, index) => (
          <Accordion.Item key={alarm.id} value={alarm.id}>
            <Group wrap="nowrap" gap={0} pr="xs">
              <Accordion.Control>
                <Group gap="xs">
                  <Text fw={600}>{alarm.alarmType || 'New alarm'}</Text>
                  {alarm.create.map((c) => (
                    <SeverityBadge key={c.severity} severity={c.severity} />
                  ))}
                  {alarm.clear && <Badge variant="outline" color="gray" size="sm">clear rule</Badge>}
                </Group>
              </Accordion.Control>
              <Tooltip label="Delete alarm rule">
                <ActionIcon variant="subtle" color="red" aria-label={`Delete alarm rule ${alarm.alarmType}`} onClick={() => onChange(alarms.filter((_, i) => i !== index))}>
                  <IconTrash size={16} />
                </ActionIcon>
              </Tooltip>
            </Group>
            <Accordion.Panel>
              <AlarmEditor alarm={alarm} onChange={(next) => onChange(alarms.map((a, i) => (i === index ? next : a)))} />
            </Accordion.Panel>
          </Accordion.Item>
        ))}
      </Accordion>
      <Group>
        <Button leftSection={<IconPlus size={16} />} variant="light" onClick={() => {
            const added = newAlarm(alarms);
            setOpened([...opened, added.id]);
            onChange([...alarms, added]);
          }}>
          Add alarm rule
        </Button>
      </Group>
    </Stack>
  );
}
