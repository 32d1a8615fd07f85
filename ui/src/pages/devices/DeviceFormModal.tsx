import { TextInput, Textarea } from '@mantine/core';
import { useEffect, useState } from 'react';
import { saveDevice } from '../../api/devices';
import { FormModal } from '../../components/FormModal';
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

  useEffect(() => {
    if (!opened) return;
    setName(device?.name ?? '');
    setLabel(device?.label ?? '');
    setType(device?.type ?? '');
    setDescription(device?.additionalInfo?.description ?? '');
  }, [opened, device]);

  async function submit() {
    const body: Device = device
      ? { ...device, name: name.trim(), label: label.trim() || null }
      : { name: name.trim(), label: label.trim() || null };
    if (!device && type.trim()) body.type = type.trim();
    body.additionalInfo = { ...(device?.additionalInfo ?? {}), description };
    onSaved(await saveDevice(body));
  }

  return (
    <FormModal opened={opened} onClose={onClose} title={device ? 'Edit device' : 'Add device'} submit={submit} submitLabel={device ? 'Save' : 'Add'} canSubmit={Boolean(name.trim())}>
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
    </FormModal>
  );
}
