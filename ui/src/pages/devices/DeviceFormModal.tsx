import { Alert, Button, Group, Modal, Stack, TextInput, Textarea } from '@mantine/core';
import { useEffect, useState, type FormEvent } from 'react';
import { saveDevice } from '../../api/devices';
import { describeError } from '../../api/errors';
import type { Device } from '../../api/types';

interface Props {
  opened: boolean;
  /** The device to edit; a new one when absent. */
  device?: Device | null;
  onClose: () => void;
  onSaved: (device: Device) => void;
}

export function DeviceFormModal({ opened, device, onClose, onSaved }: Props) {
  const [name, setName] = useState('');
  const [label, setLabel] = useState('');
  const [type, setType] = useState('');
  const [description, setDescription] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!opened) return;
    setName(device?.name ?? '');
    setLabel(device?.label ?? '');
    setType(device?.type ?? '');
    setDescription(device?.additionalInfo?.description ?? '');
    setError(null);
  }, [opened, device]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body: Device = device
        ? { ...device, name: name.trim(), label: label.trim() || null }
        : { name: name.trim(), label: label.trim() || null };
      if (!device && type.trim()) body.type = type.trim();
      body.additionalInfo = { ...(device?.additionalInfo ?? {}), description };
      onSaved(await saveDevice(body));
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal opened={opened} onClose={onClose} title={device ? 'Edit device' : 'Add device'} centered>
      <form onSubmit={submit}>
        <Stack>
          {error && (
            <Alert color="red" variant="light">
              {error}
            </Alert>
          )}
          <TextInput label="Name" required value={name} onChange={(e) => setName(e.currentTarget.value)} data-autofocus />
          <TextInput label="Label" value={label} onChange={(e) => setLabel(e.currentTarget.value)} />
          {!device && (
            <TextInput
              label="Device profile"
              description="Profile name; the tenant's default profile when empty"
              placeholder="default"
              value={type}
              onChange={(e) => setType(e.currentTarget.value)}
            />
          )}
          <Textarea label="Description" autosize minRows={2} value={description} onChange={(e) => setDescription(e.currentTarget.value)} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={busy} disabled={!name.trim()}>
              {device ? 'Save' : 'Add'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
