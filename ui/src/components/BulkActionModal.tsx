import { Alert, Badge, Button, Group, Modal, Stack, Table, Text } from '@mantine/core';
import { useEffect, useState, type ReactNode } from 'react';
import { describeError } from '../api/errors';
import { bulkRows, type BulkResult, type BulkRow } from './bulk';

export interface BulkAction {
  title: string;
  /** What will happen, shown before the user confirms. */
  question: ReactNode;
  confirmLabel: string;
  color?: string;
  /** The past tense a succeeded row shows ("Deleted"). */
  done: string;
  /** Inputs the action needs (a customer to assign to); confirming waits for `ready`. */
  form?: ReactNode;
  ready?: boolean;
  run: (ids: string[]) => Promise<BulkResult>;
}

interface Props {
  action: BulkAction | null;
  /** The selected rows' ids and names. */
  names: ReadonlyMap<string, string>;
  onClose: (changed: boolean) => void;
}

/** Confirms a bulk action on the selected rows, runs it, and shows a result per row. */
export function BulkActionModal({ action, names, onClose }: Props) {
  const [rows, setRows] = useState<BulkRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const opened = action !== null;
  useEffect(() => {
    setRows(null);
    setError(null);
  }, [opened]);

  async function confirm() {
    if (!action) return;
    const ids = [...names.keys()];
    setBusy(true);
    setError(null);
    try {
      setRows(bulkRows(ids, names, await action.run(ids), action.done));
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  const failed = rows?.filter((r) => !r.ok).length ?? 0;
  return (
    <Modal opened={opened} onClose={() => onClose(rows !== null)} title={action?.title} centered size="lg">
      {action && (
        <Stack>
          {error && (
            <Alert color="red" variant="light">
              {error}
            </Alert>
          )}
          {rows === null ? (
            <>
              <Text size="sm">{action.question}</Text>
              {action.form}
              <Group justify="flex-end">
                <Button variant="default" onClick={() => onClose(false)}>
                  Cancel
                </Button>
                <Button color={action.color} loading={busy} disabled={action.ready === false} onClick={() => void confirm()}>
                  {action.confirmLabel}
                </Button>
              </Group>
            </>
          ) : (
            <>
              <Text size="sm" data-testid="bulk-summary">
                {rows.length - failed} done, {failed} failed.
              </Text>
              <Table.ScrollContainer minWidth={420}>
                <Table verticalSpacing="xs" data-testid="bulk-results">
                  <Table.Tbody>
                    {rows.map((r) => (
                      <Table.Tr key={r.id}>
                        <Table.Td fw={600}>{r.name}</Table.Td>
                        <Table.Td>
                          <Badge color={r.ok ? 'green' : 'red'} variant="light">
                            {r.ok ? 'OK' : 'Error'}
                          </Badge>
                        </Table.Td>
                        <Table.Td>
                          <Text size="sm">{r.message}</Text>
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
              <Group justify="flex-end">
                <Button onClick={() => onClose(true)}>Close</Button>
              </Group>
            </>
          )}
        </Stack>
      )}
    </Modal>
  );
}
