import { Alert, Button, Group, Modal, Select, Stack, Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import { assignToCustomer, unassignFromCustomer } from '../../api/devices';
import { customers } from '../../api/entities';
import { describeError } from '../../api/errors';
import { NULL_UUID, type DeviceInfo } from '../../api/types';
import { DEFAULT_PAGE_LINK } from '../../lib/pageLink';

interface Props {
  device: DeviceInfo | null;
  onClose: () => void;
  onDone: () => void;
}

/** Assigns a device to one of the tenant's customers, or takes it back. */
export function AssignModal({ device, onClose, onDone }: Props) {
  const [options, setOptions] = useState<{ value: string; label: string }[]>([]);
  const [choice, setChoice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const assigned = device?.customerId && device.customerId.id !== NULL_UUID;

  useEffect(() => {
    if (!device) return;
    setError(null);
    setChoice(assigned ? device.customerId!.id : null);
    customers({ ...DEFAULT_PAGE_LINK, pageSize: 100, sortProperty: 'title', sortOrder: 'ASC' })
      .then((page) => setOptions(page.data.map((c) => ({ value: c.id.id, label: String(c.title) }))))
      .catch((e: unknown) => setError(describeError(e)));
  }, [device, assigned]);

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
    <Modal opened={device !== null} onClose={onClose} title="Assign to customer" centered>
      <Stack>
        <Text size="sm">
          Users of the chosen customer will see <b>{device?.name}</b>, its attributes and telemetry.
        </Text>
        {error && (
          <Alert color="red" variant="light">
            {error}
          </Alert>
        )}
        <Select label="Customer" placeholder="Choose a customer" searchable data={options} value={choice} onChange={setChoice} />
        <Group justify="space-between">
          {assigned ? (
            <Button variant="subtle" color="red" loading={busy} onClick={() => run(() => unassignFromCustomer(device!.id!.id))}>
              Unassign
            </Button>
          ) : (
            <span />
          )}
          <Group gap="xs">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button disabled={!choice} loading={busy} onClick={() => run(() => assignToCustomer(device!.id!.id, choice!))}>
              Assign
            </Button>
          </Group>
        </Group>
      </Stack>
    </Modal>
  );
}
