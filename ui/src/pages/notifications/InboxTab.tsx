import { ActionIcon, Badge, Button, Group, SegmentedControl, Stack, Text, Tooltip } from '@mantine/core';
import { notifications as toasts } from '@mantine/notifications';
import { IconCheck, IconTrash } from '@tabler/icons-react';
import { useCallback, useEffect, useState } from 'react';
import { describeError } from '../../api/errors';
import { deleteNotification, inbox, markAllRead, markRead, type Notification } from '../../api/notifications';
import { DataTable, type Column } from '../../components/DataTable';
import { usePaged } from '../../components/usePaged';
import { formatTime } from '../../lib/format';
import type { PageLink } from '../../lib/pageLink';
import { useNotificationFeed } from '../../layout/useNotificationFeed';

/** The user's WEB notifications, unread or all, reloaded whenever the live feed changes. */
export function InboxTab() {
  const [unreadOnly, setUnreadOnly] = useState(true);
  const load = useCallback((link: PageLink) => inbox(link, unreadOnly), [unreadOnly]);
  const paged = usePaged<Notification>(load);
  const feed = useNotificationFeed();
  const { reload } = paged;
  useEffect(() => {
    if (feed.version > 0) reload();
  }, [feed.version, reload]);

  async function run(action: () => Promise<void>) {
    try {
      await action();
      reload();
    } catch (e) {
      toasts.show({ color: 'red', message: describeError(e) });
    }
  }

  const columns: Column<Notification>[] = [
    { key: 'time', label: 'Time', sort: 'createdTime', width: 180, render: (n) => <Text size="sm">{formatTime(n.createdTime)}</Text> },
    {
      key: 'message',
      label: 'Notification',
      render: (n) => (
        <Stack gap={0}>
          <Text size="sm" fw={n.status === 'READ' ? 400 : 700}>
            {n.subject || n.type}
          </Text>
          <Text size="sm" c="dimmed">
            {n.text}
          </Text>
        </Stack>
      ),
    },
    { key: 'type', label: 'Type', render: (n) => <Badge variant="light" color="gray">{n.type}</Badge> },
    { key: 'status', label: 'Status', render: (n) => <Badge variant="dot" color={n.status === 'READ' ? 'gray' : 'blue'}>{n.status === 'READ' ? 'Read' : 'Unread'}</Badge> },
  ];

  return (
    <Stack>
      <Group justify="space-between">
        <SegmentedControl
          data={[
            { value: 'unread', label: 'Unread' },
            { value: 'all', label: 'All' },
          ]}
          value={unreadOnly ? 'unread' : 'all'}
          onChange={(v) => setUnreadOnly(v === 'unread')}
        />
        <Button variant="light" disabled={feed.unread === 0} onClick={() => run(markAllRead)}>
          Mark all as read
        </Button>
      </Group>
      <DataTable
        paged={paged}
        columns={columns}
        rowKey={(n) => n.id.id}
        emptyText={unreadOnly ? 'No unread notifications' : 'No notifications'}
        minWidth={640}
        actions={(n) => (
          <Group gap={4} wrap="nowrap">
            <Tooltip label="Mark as read">
              <ActionIcon variant="subtle" aria-label={`Mark ${n.subject ?? n.type} read`} disabled={n.status === 'READ'} onClick={() => run(() => markRead(n.id.id))}>
                <IconCheck size={16} />
              </ActionIcon>
            </Tooltip>
            <Tooltip label="Delete">
              <ActionIcon variant="subtle" color="red" aria-label={`Delete ${n.subject ?? n.type}`} onClick={() => run(() => deleteNotification(n.id.id))}>
                <IconTrash size={16} />
              </ActionIcon>
            </Tooltip>
          </Group>
        )}
      />
    </Stack>
  );
}
