import { ActionIcon, Alert, Badge, Button, Group, Modal, Stack, Text, TextInput, Textarea, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPlus, IconStar, IconTrash } from '@tabler/icons-react';
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
import { confirmAction } from '../../components/confirm';
import { DataTable, type Column } from '../../components/DataTable';
import { PageHeader } from '../../components/PageHeader';
import { usePaged } from '../../components/usePaged';
import { formatTime } from '../../lib/format';
import { SectionGuard } from '../../layout/SectionGuard';

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

  async function run(action: () => Promise<unknown>, done: string) {
    try {
      await action();
      notifications.show({ color: 'green', message: done });
      paged.reload();
    } catch (e) {
      notifications.show({ color: 'red', message: describeError(e) });
    }
  }

  const columns: Column<DeviceProfile>[] = [
    { key: 'name', label: 'Name', sort: 'name', render: (p) => <Text size="sm" fw={600}>{p.name}</Text> },
    { key: 'transport', label: 'Transport', render: (p) => <Badge variant="light">{p.transportType}</Badge> },
    { key: 'alarms', label: 'Alarm rules', render: (p) => <Text size="sm">{p.profileData?.alarms?.length ?? 0}</Text> },
    { key: 'default', label: 'Default', render: (p) => (p.default ? <Badge variant="light" color="teal">default</Badge> : null) },
    { key: 'description', label: 'Description', render: (p) => <Text size="sm" c="dimmed">{p.description}</Text> },
    { key: 'created', label: 'Created', sort: 'createdTime', render: (p) => <Text size="sm" c="dimmed">{formatTime(p.createdTime)}</Text> },
  ];

  return (
    <>
      <PageHeader title="Device profiles" subtitle="Transport and alarm settings of device types" />
      <DataTable
        paged={paged}
        columns={columns}
        rowKey={(p) => p.id!.id}
        onRowClick={(p) => navigate(`/device-profiles/${p.id!.id}`)}
        minWidth={760}
        emptyText="No device profiles"
        toolbar={
          <Button leftSection={<IconPlus size={16} />} onClick={() => setCreating(true)}>
            Add profile
          </Button>
        }
        actions={(p) => (
          <Group gap={4} wrap="nowrap">
            <Tooltip label="Make default">
              <ActionIcon variant="subtle" aria-label={`Make ${p.name} default`} disabled={p.default} onClick={() => run(() => makeDefaultProfile(p.id!.id), `${p.name} is the default profile`)}>
                <IconStar size={16} />
              </ActionIcon>
            </Tooltip>
            <Tooltip label="Delete">
              <ActionIcon
                variant="subtle"
                color="red"
                aria-label={`Delete ${p.name}`}
                disabled={p.default}
                onClick={() => confirmAction(`Delete device profile "${p.name}"?`) && run(() => deleteDeviceProfile(p.id!.id), `Deleted ${p.name}`)}
              >
                <IconTrash size={16} />
              </ActionIcon>
            </Tooltip>
          </Group>
        )}
      />
      <CreateModal
        opened={creating}
        onClose={() => setCreating(false)}
        onCreated={(p) => {
          setCreating(false);
          navigate(`/device-profiles/${p.id!.id}/alarms`);
        }}
      />
    </>
  );
}
