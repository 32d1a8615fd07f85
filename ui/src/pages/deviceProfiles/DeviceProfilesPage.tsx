import { Alert, Badge, Button, Group, Modal, Stack, Text, TextInput, Textarea } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import {
  blankProfile,
  deleteDeviceProfile,
  deviceProfiles,
  makeDefaultProfile,
  saveDeviceProfile,
  type DeviceProfile,
} from '../../api/deviceProfiles';
import { describeError } from '../../api/errors';
import type { Column } from '../../components/DataTable';
import { usePaged } from '../../components/usePaged';
import { formatTime } from '../../lib/format';
import { SectionGuard } from '../../layout/SectionGuard';
import { EntityListPage, makeDefaultAction, useListAction } from '../EntityListPage';

function CreateModal({ opened, onClose, onCreated }: { opened: boolean; onClose: () => void; onCreated: (p: DeviceProfile) => void }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [error, setError] = useState<string | null>(null);
  async function submit(event: FormEvent) {
    event.preventDefault();
    try {
      onCreated(await saveDeviceProfile(blankProfile(name.trim(), description.trim())));
      setName('');
      setDescription('');
      setError(null);
    } catch (e) {
      setError(describeError(e));
    }
  }
  return (
    <Modal opened={opened} onClose={onClose} title="Add device profile" centered>
      <form onSubmit={submit}>
        <Stack>
          {error && <Alert color="red">{error}</Alert>}
          <TextInput label="Name" required value={name} onChange={(e) => setName(e.currentTarget.value)} data-autofocus />
          <Textarea label="Description" value={description} onChange={(e) => setDescription(e.currentTarget.value)} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" disabled={!name.trim()}>
              Add
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

export function DeviceProfilesPage() {
  return (
    <SectionGuard section="deviceProfiles">
      <DeviceProfilesPageContent />
    </SectionGuard>
  );
}

function DeviceProfilesPageContent() {
  const navigate = useNavigate();
  const paged = usePaged<DeviceProfile>(deviceProfiles, { sortProperty: 'name', sortOrder: 'ASC' });
  const [creating, setCreating] = useState(false);

  const run = useListAction(paged.reload);

  const columns: Column<DeviceProfile>[] = [
    { key: 'name', label: 'Name', sort: 'name', render: (p) => <Text size="sm" fw={600}>{p.name}</Text> },
    { key: 'transport', label: 'Transport', render: (p) => <Badge variant="light">{p.transportType}</Badge> },
    { key: 'alarms', label: 'Alarm rules', render: (p) => <Text size="sm">{p.profileData?.alarms?.length ?? 0}</Text> },
    { key: 'default', label: 'Default', render: (p) => (p.default ? <Badge variant="light" color="teal">default</Badge> : null) },
    { key: 'description', label: 'Description', render: (p) => <Text size="sm" c="dimmed">{p.description}</Text> },
    { key: 'created', label: 'Created', sort: 'createdTime', render: (p) => <Text size="sm" c="dimmed">{formatTime(p.createdTime)}</Text> },
  ];

  return (
    <EntityListPage
      title="Device profiles"
      subtitle="Transport and alarm settings of device types"
      paged={paged}
      columns={columns}
      rowKey={(p) => p.id!.id}
      name={(p) => p.name}
      onRowClick={(p) => navigate(`/device-profiles/${p.id!.id}`)}
      minWidth={760}
      emptyText="No device profiles"
      add={{ label: 'Add profile', onClick: () => setCreating(true) }}
      rowActions={[makeDefaultAction<DeviceProfile>(run, (p) => makeDefaultProfile(p.id!.id))]}
      remove={{ confirm: (p) => `Delete device profile "${p.name}"?`, run: (p) => deleteDeviceProfile(p.id!.id), disabled: (p) => Boolean(p.default) }}
    >
      <CreateModal
        opened={creating}
        onClose={() => setCreating(false)}
        onCreated={(p) => {
          setCreating(false);
          navigate(`/device-profiles/${p.id!.id}/alarms`);
        }}
      />
    </EntityListPage>
  );
}
