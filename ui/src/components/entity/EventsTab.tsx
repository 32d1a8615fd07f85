import { Badge, Button, Group, SegmentedControl, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useCallback, useState } from 'react';
import { describeError } from '../../api/errors';
import { clearEvents, events, type EventInfo, type EventType } from '../../api/events';
import type { EntityId } from '../../api/types';
import { useUser } from '../../auth/session';
import { confirmAction } from '../../components/confirm';
import { DataTable, type Column } from '../../components/DataTable';
import { usePaged } from '../../components/usePaged';
import { formatTime, formatValue } from '../../lib/format';
import type { PageLink } from '../../lib/pageLink';

const LABEL: Record<EventType, string> = { ERROR: 'Errors', LC_EVENT: 'Lifecycle', STATS: 'Statistics' };

const text = (value: unknown) => <Text size="sm">{formatValue(value)}</Text>;

/** Columns of each event type's body (ThingsBoard's EventInfo bodies). */
const COLUMNS: Record<EventType, Column<EventInfo>[]> = {
  ERROR: [
    { key: 'method', label: 'Method', render: (e) => text(e.body.method) },
    { key: 'error', label: 'Error', render: (e) => <Text size="sm" c="red" className="mono">{formatValue(e.body.error)}</Text> },
  ],
  LC_EVENT: [
    { key: 'event', label: 'Event', render: (e) => <Badge variant="light">{formatValue(e.body.event)}</Badge> },
    { key: 'success', label: 'Status', render: (e) => <Badge variant="dot" color={e.body.success ? 'green' : 'red'}>{e.body.success ? 'Success' : 'Failed'}</Badge> },
    { key: 'error', label: 'Error', render: (e) => text(e.body.error) },
  ],
  STATS: [
    { key: 'processed', label: 'Messages processed', render: (e) => text(e.body.messagesProcessed) },
    { key: 'errors', label: 'Errors', render: (e) => text(e.body.errorsOccurred) },
  ],
};

/** An entity's events of one type, newest first; tenant administrators may clear them. */
export function EventsTab({ entity }: { entity: EntityId<string> }) {
  const admin = useUser().authority === 'TENANT_ADMIN';
  const [type, setType] = useState<EventType>('ERROR');
  const load = useCallback((link: PageLink) => events(entity, type, link), [entity.entityType, entity.id, type]);
  const paged = usePaged<EventInfo>(load);
  const columns: Column<EventInfo>[] = [
    { key: 'time', label: 'Time', sort: 'createdTime', width: 180, render: (e) => <Text size="sm">{formatTime(e.createdTime)}</Text> },
    { key: 'server', label: 'Server', render: (e) => <Text size="sm" c="dimmed">{formatValue(e.body.server)}</Text> },
    ...COLUMNS[type],
  ];

  async function clear() {
    if (!confirmAction(`Delete every ${LABEL[type].toLowerCase()} event of this entity?`)) return;
    try {
      await clearEvents(entity, type);
      paged.reload();
    } catch (e) {
      notifications.show({ color: 'red', message: describeError(e) });
    }
  }

  return (
    <Stack>
      <Group justify="space-between">
        <SegmentedControl
          aria-label="Event type"
          data={(Object.keys(LABEL) as EventType[]).map((t) => ({ value: t, label: LABEL[t] }))}
          value={type}
          onChange={(v) => setType(v as EventType)}
        />
        {admin && (
          <Button variant="subtle" color="red" onClick={clear}>
            Clear events
          </Button>
        )}
      </Group>
      <DataTable key={type} paged={paged} columns={columns} rowKey={(e) => e.id.id} emptyText="No events of this type" minWidth={560} />
    </Stack>
  );
}
