import { Alert, Button, Group, Modal, Select, Stack, Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import { describeError } from '../api/errors';
import { NULL_UUID } from '../api/types';
import { useCustomerOptions } from './useCustomerOptions';

export interface Assignable {
  name: string;
  customerId?: { id: string } | null;
}

interface Props {
  entity: Assignable | null;
  assign: (customerId: string) => Promise<unknown>;
  unassign: () => Promise<unknown>;
  onClose: () => void;
  onDone: () => void;
}

/** Gives an entity to one of the tenant's customers, or takes it back. */
export function AssignOwnerModal({ entity, assign, unassign, onClose, onDone }: Props) {
  const [choice, setChoice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const current = entity?.customerId && entity.customerId.id !== NULL_UUID ? entity.customerId.id : null;
  const customers = useCustomerOptions(entity !== null);

  useEffect(() => {
    if (!entity) return;
    setError(null);
    setChoice(current);
  }, [entity, current]);

  async function run(action: () => Promise<unknown>) {
    setBusy(true);
    setError(null);
    try {
      await action();
      onDone();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal opened={entity !== null} onClose={onClose} title="Assign to customer" centered>
      <Stack>
        <Text size="sm">
          Users of the chosen customer will see <b>{entity?.name}</b>.
        </Text>
        {(error ?? customers.error) && (
          <Alert color="red" variant="light">
            {error ?? customers.error}
          </Alert>
        )}
        <Select label="Customer" placeholder="Choose a customer" searchable data={customers.options} value={choice} onChange={setChoice} />
        <Group justify="space-between">
          {current ? (
            <Button variant="subtle" color="red" loading={busy} onClick={() => run(unassign)}>
              Unassign
            </Button>
          ) : (
            <span />
          )}
          <Group gap="xs">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button disabled={!choice || choice === current} loading={busy} onClick={() => run(() => assign(choice!))}>
              Assign
            </Button>
          </Group>
        </Group>
      </Stack>
    </Modal>
  );
}
