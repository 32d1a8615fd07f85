import { ActionIcon, Alert, Button, Divider, Drawer, Group, Loader, Paper, Select, SimpleGrid, Stack, Text, Textarea } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconTrash } from '@tabler/icons-react';
import { useCallback, useEffect, useState, type FormEvent, type ReactNode } from 'react';
import {
  ackAlarm,
  addComment,
  alarmInfo,
  assignAlarm,
  clearAlarm,
  comments as loadComments,
  deleteComment,
  unassignAlarm,
  STATUS_LABEL,
  type AlarmComment,
  type AlarmInfo,
} from '../../api/alarms';
import { describeError } from '../../api/errors';
import { allUsers } from '../../api/users';
import { useUser } from '../../auth/session';
import { displayName, formatTime, formatValue } from '../../lib/format';
import { SeverityBadge } from './SeverityBadge';

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Stack gap={2}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text size="sm" component="div">
        {children || '—'}
      </Text>
    </Stack>
  );
}

interface Props {
  alarmId: string | null;
  onClose: () => void;
  onChanged: () => void;
}

/** One alarm: its fields, acknowledge and clear, and the comment thread. */
export function AlarmDrawer({ alarmId, onClose, onChanged }: Props) {
  const [alarm, setAlarm] = useState<AlarmInfo | null>(null);
  const [thread, setThread] = useState<AlarmComment[]>([]);
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const me = useUser();
  const admin = me.authority === 'TENANT_ADMIN';
  const [users, setUsers] = useState<{ value: string; label: string }[]>([]);

  useEffect(() => {
    if (!admin || alarmId === null) return;
    allUsers()
      .then((us) => setUsers(us.map((u) => ({ value: u.id.id, label: displayName(u) }))))
      .catch(() => setUsers([]));
  }, [admin, alarmId]);

  const load = useCallback(() => {
    if (!alarmId) return;
    Promise.all([alarmInfo(alarmId), loadComments(alarmId)])
      .then(([a, c]) => {
        setAlarm(a);
        setThread(c);
        setError(null);
      })
      .catch((e: unknown) => setError(describeError(e)));
  }, [alarmId]);

  useEffect(() => {
    setAlarm(null);
    setThread([]);
    setText('');
    load();
  }, [load]);

  async function run(action: () => Promise<unknown>) {
    try {
      await action();
      load();
      onChanged();
    } catch (e) {
      notifications.show({ color: 'red', message: describeError(e) });
    }
  }

  async function comment(event: FormEvent) {
    event.preventDefault();
    if (!alarmId || !text.trim()) return;
    await run(() => addComment(alarmId, text.trim()));
    setText('');
  }

  const details = alarm?.details && typeof alarm.details === 'object' ? alarm.details : null;
  return (
    <Drawer opened={alarmId !== null} onClose={onClose} position="right" size="md" title={alarm?.type ?? 'Alarm'}>
      {error && <Alert color="red">{error}</Alert>}
      {!alarm && !error && <Loader />}
      {alarm && (
        <Stack>
          <SimpleGrid cols={2} spacing="md">
            <Field label="Severity">
              <SeverityBadge severity={alarm.severity} />
            </Field>
            <Field label="Status">
              <span data-testid="drawer-status">{STATUS_LABEL[alarm.status]}</span>
            </Field>
            <Field label="Originator">{alarm.originatorName ?? alarm.originator.id}</Field>
            <Field label="Originator type">{alarm.originator.entityType}</Field>
            <Field label="Start">{formatTime(alarm.startTs)}</Field>
            <Field label="End">{formatTime(alarm.endTs)}</Field>
            <Field label="Acknowledged">{alarm.ackTs ? formatTime(alarm.ackTs) : ''}</Field>
            <Field label="Cleared">{alarm.clearTs ? formatTime(alarm.clearTs) : ''}</Field>
          </SimpleGrid>
          {details && Object.keys(details).length > 0 && (
            <Field label="Details">
              <span className="mono">{typeof details.data === 'string' ? details.data : formatValue(details)}</span>
            </Field>
          )}
          {admin ? (
            <Select
              label="Assignee"
              placeholder="Nobody"
              clearable
              searchable
              data={users}
              value={alarm.assigneeId?.id ?? null}
              onChange={(v) => run(() => (v ? assignAlarm(alarm.id.id, v) : unassignAlarm(alarm.id.id)))}
            />
          ) : (
            <Field label="Assignee">{alarm.assignee ? displayName(alarm.assignee) : ''}</Field>
          )}
          <Group>
            <Button disabled={alarm.acknowledged} onClick={() => run(() => ackAlarm(alarm.id.id))}>
              Acknowledge
            </Button>
            <Button color="red" variant="light" disabled={alarm.cleared} onClick={() => run(() => clearAlarm(alarm.id.id))}>
              Clear
            </Button>
          </Group>
          <Divider label="Comments" labelPosition="left" />
          <Stack gap="xs" data-testid="alarm-comments">
            {thread.length === 0 && (
              <Text size="sm" c="dimmed">
                No comments yet
              </Text>
            )}
            {thread.map((c) => (
              <Paper key={c.id.id} withBorder p="xs" radius="sm" bg={c.type === 'SYSTEM' ? 'gray.0' : undefined}>
                <Group justify="space-between" wrap="nowrap">
                  <Text size="xs" c="dimmed">
                    {formatTime(c.createdTime)} · {c.type === 'SYSTEM' ? 'system' : 'comment'}
                  </Text>
                  {c.type === 'OTHER' && c.userId?.id === me.id.id && (
                    <ActionIcon size="sm" variant="subtle" color="red" aria-label="Delete comment" onClick={() => run(() => deleteComment(c.alarmId.id, c.id.id))}>
                      <IconTrash size={14} />
                    </ActionIcon>
                  )}
                </Group>
                <Text size="sm">{c.comment.text}</Text>
              </Paper>
            ))}
          </Stack>
          <form onSubmit={comment}>
            <Stack gap="xs">
              <Textarea label="Add a comment" autosize minRows={2} value={text} onChange={(e) => setText(e.currentTarget.value)} />
              <Group justify="flex-end">
                <Button type="submit" variant="light" disabled={!text.trim()}>
                  Post comment
                </Button>
              </Group>
            </Stack>
          </form>
        </Stack>
      )}
    </Drawer>
  );
}
