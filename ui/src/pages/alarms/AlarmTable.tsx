import { ActionIcon, Badge, Group, MultiSelect, Select, Text, TextInput, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconCheck, IconX } from '@tabler/icons-react';
import { useCallback, useEffect, useState } from 'react';
import {
  ackAlarm,
  alarms,
  alarmTypes,
  clearAlarm,
  CUSTOM_RANGE,
  EMPTY_ALARM_FILTER,
  SEARCH_STATUSES,
  SEVERITIES,
  STATUS_LABEL,
  type AlarmFilter,
  type AlarmInfo,
  type AlarmSearchStatus,
  type AlarmSeverity,
} from '../../api/alarms';
import { followAlarms } from '../../api/alarmFeed';
import { describeError } from '../../api/errors';
import type { EntityId } from '../../api/types';
import { DataTable, type Column } from '../../components/DataTable';
import { usePaged } from '../../components/usePaged';
import { formatTime } from '../../lib/format';
import type { PageLink } from '../../lib/pageLink';
import { AlarmDrawer } from './AlarmDrawer';
import { SeverityBadge } from './SeverityBadge';

const HOUR = 3_600_000;
const WINDOWS = [
  { value: '0', label: 'Any time' },
  { value: String(HOUR), label: 'Last hour' },
  { value: String(24 * HOUR), label: 'Last 24 hours' },
  { value: String(7 * 24 * HOUR), label: 'Last 7 days' },
  { value: String(30 * 24 * HOUR), label: 'Last 30 days' },
  { value: String(CUSTOM_RANGE), label: 'Custom range' },
];

/** `datetime-local` text ↔ epoch ms in the browser's zone. */
const toLocalInput = (ms: number | null | undefined): string => {
  if (ms == null) return '';
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
};
const fromLocalInput = (text: string): number | null => (text ? new Date(text).getTime() : null);

const STATUS_OPTIONS: { value: AlarmSearchStatus; label: string }[] = SEARCH_STATUSES.map((s) => ({
  value: s,
  label: { ACTIVE: 'Active', CLEARED: 'Cleared', ACK: 'Acknowledged', UNACK: 'Unacknowledged' }[s],
}));

/** A filterable page of alarms (all visible ones, or one entity's) with ack/clear and details. */
export function AlarmTable({ entity, showOriginator = true }: { entity?: EntityId<string>; showOriginator?: boolean }) {
  const [filter, setFilter] = useState<AlarmFilter>({ ...EMPTY_ALARM_FILTER, statuses: ['ACTIVE'] });
  const [types, setTypes] = useState<string[]>([]);
  const [open, setOpen] = useState<string | null>(null);
  const load = useCallback(
    (link: PageLink) => alarms(link, filter, entity),
    [filter, entity?.entityType, entity?.id],
  );
  const paged = usePaged<AlarmInfo>(load);
  const { link, reload } = paged;
  // Pushes of the ALARM_DATA subscription (alarms raised, acknowledged, cleared elsewhere) reload the page.
  useEffect(() => followAlarms(entity, link, filter, reload), [entity?.entityType, entity?.id, link, filter, reload]);

  useEffect(() => {
    alarmTypes()
      .then(setTypes)
      .catch(() => setTypes([]));
  }, []);

  function change(next: Partial<AlarmFilter>) {
    setFilter((current) => ({ ...current, ...next }));
    paged.setLink({ ...paged.link, page: 0 });
  }

  async function act(action: (id: string) => Promise<unknown>, alarm: AlarmInfo, done: string) {
    try {
      await action(alarm.id.id);
      notifications.show({ color: 'green', message: `${alarm.type}: ${done}` });
      paged.reload();
    } catch (e) {
      notifications.show({ color: 'red', message: describeError(e) });
    }
  }

  const columns: Column<AlarmInfo>[] = [
    { key: 'created', label: 'Created', sort: 'createdTime', render: (a) => <Text size="sm">{formatTime(a.createdTime)}</Text>, width: 180 },
    ...(showOriginator
      ? [{ key: 'originator', label: 'Originator', render: (a: AlarmInfo) => <Text size="sm" fw={500}>{a.originatorName ?? a.originator.id}</Text> }]
      : []),
    { key: 'type', label: 'Type', sort: 'type', render: (a) => <Text size="sm" fw={600}>{a.type}</Text> },
    { key: 'severity', label: 'Severity', sort: 'severity', render: (a) => <SeverityBadge severity={a.severity} /> },
    {
      key: 'status',
      label: 'Status',
      sort: 'status',
      render: (a) => (
        <Badge variant="dot" color={a.cleared ? 'gray' : a.acknowledged ? 'orange' : 'red'} data-testid="alarm-status">
          {STATUS_LABEL[a.status]}
        </Badge>
      ),
    },
  ];

  return (
    <>
      <Group gap="sm" mb="sm" align="flex-end">
        <MultiSelect
          label="Status"
          placeholder={filter.statuses.length ? undefined : 'Any'}
          data={STATUS_OPTIONS}
          value={filter.statuses}
          onChange={(v) => change({ statuses: v as AlarmSearchStatus[] })}
          clearable
          w={260}
        />
        <MultiSelect
          label="Severity"
          placeholder={filter.severities.length ? undefined : 'Any'}
          data={[...SEVERITIES]}
          value={filter.severities}
          onChange={(v) => change({ severities: v as AlarmSeverity[] })}
          clearable
          w={260}
        />
        <MultiSelect
          label="Type"
          placeholder={filter.types.length ? undefined : 'Any'}
          data={types}
          value={filter.types}
          onChange={(v) => change({ types: v })}
          searchable
          clearable
          w={220}
        />
        <Select
          label="Time"
          data={WINDOWS}
          value={String(filter.window)}
          allowDeselect={false}
          onChange={(v) => change({ window: Number(v ?? 0) })}
          w={160}
        />
        {filter.window === CUSTOM_RANGE && (
          <>
            <TextInput type="datetime-local" label="From" w={200} value={toLocalInput(filter.from)} onChange={(e) => change({ from: fromLocalInput(e.currentTarget.value) })} />
            <TextInput type="datetime-local" label="To" w={200} value={toLocalInput(filter.to)} onChange={(e) => change({ to: fromLocalInput(e.currentTarget.value) })} />
          </>
        )}
      </Group>
      <DataTable
        paged={paged}
        columns={columns}
        rowKey={(a) => a.id.id}
        onRowClick={(a) => setOpen(a.id.id)}
        searchPlaceholder="Search by type"
        emptyText="No alarms"
        minWidth={720}
        actions={(a) => (
          <Group gap={4} wrap="nowrap">
            <Tooltip label="Acknowledge">
              <ActionIcon
                variant="subtle"
                aria-label={`Acknowledge ${a.type}`}
                disabled={a.acknowledged}
                onClick={() => act(ackAlarm, a, 'acknowledged')}
              >
                <IconCheck size={16} />
              </ActionIcon>
            </Tooltip>
            <Tooltip label="Clear">
              <ActionIcon
                variant="subtle"
                color="red"
                aria-label={`Clear ${a.type}`}
                disabled={a.cleared}
                onClick={() => act(clearAlarm, a, 'cleared')}
              >
                <IconX size={16} />
              </ActionIcon>
            </Tooltip>
          </Group>
        )}
      />
      <AlarmDrawer alarmId={open} onClose={() => setOpen(null)} onChanged={paged.reload} />
    </>
  );
}
