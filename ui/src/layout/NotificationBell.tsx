import { ActionIcon, Anchor, Button, Group, Indicator, Popover, Stack, Text, UnstyledButton } from '@mantine/core';
import { notifications as toasts } from '@mantine/notifications';
import { IconBell } from '@tabler/icons-react';
import { useState } from 'react';
import { Link } from 'react-router';
import { describeError } from '../api/errors';
import { markAllRead, markRead } from '../api/notifications';
import { formatTime } from '../lib/format';
import { useNotificationFeed } from './useNotificationFeed';

/** The top bar's bell: the live unread count, the newest unread ones, mark read. */
export function NotificationBell() {
  const feed = useNotificationFeed();
  const [opened, setOpened] = useState(false);

  async function run(action: () => Promise<void>) {
    try {
      await action();
    } catch (e) {
      toasts.show({ color: 'red', message: describeError(e) });
    }
  }

  return (
    <Popover opened={opened} onChange={setOpened} position="bottom-end" width={320} shadow="md" withinPortal>
      <Popover.Target>
        <Indicator
          label={feed.unread > 99 ? '99+' : feed.unread}
          size={18}
          color="red"
          disabled={feed.unread === 0}
          offset={4}
          data-testid="bell-count"
          data-count={feed.unread}
        >
          <ActionIcon variant="subtle" color="gray" size="lg" aria-label={`Notifications, ${feed.unread} unread`} onClick={() => setOpened((o) => !o)}>
            <IconBell size={20} />
          </ActionIcon>
        </Indicator>
      </Popover.Target>
      <Popover.Dropdown p="xs">
        <Group justify="space-between" mb="xs">
          <Text fw={600} size="sm">
            {feed.unread} unread
          </Text>
          <Button size="compact-xs" variant="subtle" disabled={feed.unread === 0} onClick={() => run(markAllRead)}>
            Mark all as read
          </Button>
        </Group>
        <Stack gap={4} data-testid="bell-list">
          {feed.latest.length === 0 && (
            <Text size="sm" c="dimmed" py="sm" ta="center">
              Nothing new
            </Text>
          )}
          {feed.latest.map((n) => (
            <UnstyledButton
              key={n.id.id}
              p={6}
              style={{ borderRadius: 'var(--mantine-radius-sm)', background: 'var(--mantine-color-gray-0)' }}
              onClick={() => run(() => markRead(n.id.id))}
              title="Mark as read"
            >
              <Text size="sm" fw={600} lineClamp={1}>
                {n.subject || n.type}
              </Text>
              <Text size="xs" lineClamp={2}>
                {n.text}
              </Text>
              <Text size="xs" c="dimmed">
                {formatTime(n.createdTime)}
              </Text>
            </UnstyledButton>
          ))}
        </Stack>
        <Anchor component={Link} to="/notifications" size="sm" display="block" ta="center" mt="xs" onClick={() => setOpened(false)}>
          Open inbox
        </Anchor>
      </Popover.Dropdown>
    </Popover>
  );
}
