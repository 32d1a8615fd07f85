import { ActionIcon, Button, Group, Select, Stack, Text, TextInput } from '@mantine/core';
import { IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { newId } from '../../dashboards/config';
import type { ActionSource, WidgetAction } from '../../dashboards/states';

export type ActionsBySource = Partial<Record<ActionSource, WidgetAction[]>>;

const SOURCE_LABEL: Record<ActionSource, string> = { headerButton: 'Header button', rowClick: 'Row click' };

/** The widget's "open dashboard state" actions: list, add, remove. */
export function WidgetActionsEditor({ sources, states, value, onChange }: {
  sources: ActionSource[];
  states: { value: string; label: string }[];
  value: ActionsBySource;
  onChange: (next: ActionsBySource) => void;
}) {
  const [source, setSource] = useState<ActionSource>(sources[sources.length - 1] ?? 'headerButton');
  const [name, setName] = useState('');
  const [target, setTarget] = useState<string | null>(null);
  const all = sources.flatMap((s) => (value[s] ?? []).map((a) => [s, a] as const));

  function add() {
    if (!target) return;
    const action: WidgetAction = {
      id: newId(),
      name: name.trim() || states.find((s) => s.value === target)?.label || target,
      icon: 'more_horiz',
      type: 'openDashboardState',
      targetDashboardStateId: target,
      setEntityId: true,
      stateEntityParamName: null,
      openRightLayout: false,
    };
    onChange({ ...value, [source]: [...(value[source] ?? []), action] });
    setName('');
  }

  return (
    <Stack gap="xs">
      {all.length === 0 && <Text size="xs" c="dimmed">No actions.</Text>}
      {all.map(([s, a]) => (
        <Group key={a.id} justify="space-between" wrap="nowrap">
          <Text size="sm">
            {SOURCE_LABEL[s]}: {a.name} → {states.find((x) => x.value === a.targetDashboardStateId)?.label ?? a.targetDashboardStateId ?? a.type}
          </Text>
          <ActionIcon variant="subtle" color="red" aria-label={`Remove action ${a.name}`} onClick={() => onChange({ ...value, [s]: (value[s] ?? []).filter((x) => x.id !== a.id) })}>
            <IconTrash size={14} />
          </ActionIcon>
        </Group>
      ))}
      <Group grow align="flex-end">
        <Select label="When" data={sources.map((s) => ({ value: s, label: SOURCE_LABEL[s] }))} value={source} onChange={(v) => v && setSource(v as ActionSource)} allowDeselect={false} />
        <TextInput label="Action name" value={name} onChange={(e) => setName(e.currentTarget.value)} data-testid="action-name" />
        <Select label="Open state" data={states} value={target} onChange={setTarget} placeholder="State" data-testid="action-target" />
        <Button variant="light" onClick={add} disabled={!target} data-testid="action-add">
          Add action
        </Button>
      </Group>
    </Stack>
  );
}
