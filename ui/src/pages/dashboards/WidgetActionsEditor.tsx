import { ActionIcon, Button, Group, Select, Stack, Text, TextInput } from '@mantine/core';
import { IconTrash } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import { tenantDashboards } from '../../dashboards/api';
import { newId } from '../../dashboards/config';
import type { ActionSource, WidgetAction } from '../../dashboards/states';

export type ActionsBySource = Partial<Record<ActionSource, WidgetAction[]>>;

const SOURCE_LABEL: Record<ActionSource, string> = { headerButton: 'Header button', rowClick: 'Row click' };

const TYPES = [
  { value: 'openDashboardState', label: 'Open state' },
  { value: 'updateDashboardState', label: 'Replace state' },
  { value: 'openDashboard', label: 'Open dashboard' },
];

/** The tenant's dashboards, for "open dashboard" actions. */
function useDashboardOptions(wanted: boolean): { value: string; label: string }[] {
  const [options, setOptions] = useState<{ value: string; label: string }[]>([]);
  useEffect(() => {
    if (!wanted) return;
    let current = true;
    void tenantDashboards({ page: 0, pageSize: 100, textSearch: '', sortProperty: 'title', sortOrder: 'ASC' })
      .then((page) => current && setOptions(page.data.map((d) => ({ value: d.id!.id, label: d.title }))))
      .catch(() => {});
    return () => {
      current = false;
    };
  }, [wanted]);
  return options;
}

/** The widget's navigation actions (open/replace a state, open a dashboard): list, add, remove. */
export function WidgetActionsEditor({ sources, states, value, onChange }: {
  sources: ActionSource[];
  states: { value: string; label: string }[];
  value: ActionsBySource;
  onChange: (next: ActionsBySource) => void;
}) {
  const [source, setSource] = useState<ActionSource>(sources[sources.length - 1] ?? 'headerButton');
  const [name, setName] = useState('');
  const [target, setTarget] = useState<string | null>(null);
  const [type, setType] = useState('openDashboardState');
  const [dashboard, setDashboard] = useState<string | null>(null);
  const [dashboardState, setDashboardState] = useState('');
  const dashboards = useDashboardOptions(type === 'openDashboard');
  const all = sources.flatMap((s) => (value[s] ?? []).map((a) => [s, a] as const));
  const ready = type === 'openDashboard' ? Boolean(dashboard) : Boolean(target);

  function add() {
    if (!ready) return;
    const common = { id: newId(), icon: 'more_horiz', type, setEntityId: true, stateEntityParamName: null };
    const action: WidgetAction =
      type === 'openDashboard'
        ? {
            ...common,
            name: name.trim() || dashboards.find((d) => d.value === dashboard)?.label || 'Open',
            targetDashboardId: dashboard,
            targetDashboardStateId: dashboardState.trim() || null,
            openNewBrowserTab: false,
          }
        : {
            ...common,
            name: name.trim() || states.find((s) => s.value === target)?.label || String(target),
            targetDashboardStateId: target,
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
            {SOURCE_LABEL[s]}: {a.name} →{' '}
            {a.type === 'openDashboard'
              ? `dashboard ${dashboards.find((d) => d.value === a.targetDashboardId)?.label ?? String(a.targetDashboardId ?? '')}`
              : states.find((x) => x.value === a.targetDashboardStateId)?.label ?? a.targetDashboardStateId ?? a.type}
          </Text>
          <ActionIcon variant="subtle" color="red" aria-label={`Remove action ${a.name}`} onClick={() => onChange({ ...value, [s]: (value[s] ?? []).filter((x) => x.id !== a.id) })}>
            <IconTrash size={14} />
          </ActionIcon>
        </Group>
      ))}
      <Group grow align="flex-end">
        <Select label="When" data={sources.map((s) => ({ value: s, label: SOURCE_LABEL[s] }))} value={source} onChange={(v) => v && setSource(v as ActionSource)} allowDeselect={false} />
        <Select label="Action" data={TYPES} value={type} onChange={(v) => v && setType(v)} allowDeselect={false} data-testid="action-type" />
        <TextInput label="Action name" value={name} onChange={(e) => setName(e.currentTarget.value)} data-testid="action-name" />
      </Group>
      <Group grow align="flex-end">
        {type === 'openDashboard' ? (
          <>
            <Select label="Dashboard" data={dashboards} value={dashboard} onChange={setDashboard} searchable placeholder="Dashboard" data-testid="action-dashboard" />
            <TextInput label="Its state (optional)" value={dashboardState} onChange={(e) => setDashboardState(e.currentTarget.value)} placeholder="default" />
          </>
        ) : (
          <Select label="State" data={states} value={target} onChange={setTarget} placeholder="State" data-testid="action-target" />
        )}
        <Button variant="light" onClick={add} disabled={!ready} data-testid="action-add">
          Add action
        </Button>
      </Group>
    </Stack>
  );
}
