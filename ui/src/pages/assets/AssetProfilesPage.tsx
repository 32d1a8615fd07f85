import { ActionIcon, Alert, Badge, Button, Group, Modal, Stack, Text, TextInput, Textarea, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPencil, IconPlus, IconStar, IconTrash } from '@tabler/icons-react';
import { useEffect, useState, type FormEvent } from 'react';
import {
  assetProfilePage,
  deleteAssetProfile,
  makeDefaultAssetProfile,
  saveAssetProfile,
  type AssetProfile,
} from '../../api/assets';
import { describeError } from '../../api/errors';
import { confirmAction } from '../../components/confirm';
import { DataTable, type Column } from '../../components/DataTable';
import { PageHeader } from '../../components/PageHeader';
import { usePaged } from '../../components/usePaged';
import { SectionGuard } from '../../layout/SectionGuard';
import { formatTime } from '../../lib/format';

function ProfileModal({ profile, onClose, onSaved }: { profile: AssetProfile | null; onClose: () => void; onSaved: (p: AssetProfile) => void }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setName(profile?.name ?? '');
    setDescription(profile?.description ?? '');
    setError(null);
  }, [profile]);
  async function submit(event: FormEvent) {
    event.preventDefault();
    try {
      onSaved(await saveAssetProfile({ ...(profile ?? {}), name: name.trim(), description: description.trim() || null }));
    } catch (e) {
      setError(describeError(e));
    }
  }
  return (
    <Modal opened onClose={onClose} title={profile ? 'Edit asset profile' : 'Add asset profile'} centered>
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
              Save
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

export function AssetProfilesPage() {
  return (
    <SectionGuard section="assetProfiles">
      <AssetProfiles />
    </SectionGuard>
  );
}

/** Asset profiles: add, rename, describe, make default, delete. */
function AssetProfiles() {
  const paged = usePaged<AssetProfile>(assetProfilePage, { sortProperty: 'name', sortOrder: 'ASC' });
  const [editing, setEditing] = useState<AssetProfile | null | undefined>(undefined);

  async function run(action: () => Promise<unknown>, done: string) {
    try {
      await action();
      notifications.show({ color: 'green', message: done });
      paged.reload();
    } catch (e) {
      notifications.show({ color: 'red', message: describeError(e) });
    }
  }

  const columns: Column<AssetProfile>[] = [
    { key: 'name', label: 'Name', sort: 'name', render: (p) => <Text size="sm" fw={600}>{p.name}</Text> },
    { key: 'default', label: 'Default', render: (p) => (p.default ? <Badge variant="light" color="teal">default</Badge> : null) },
    { key: 'description', label: 'Description', render: (p) => <Text size="sm" c="dimmed">{p.description}</Text> },
    { key: 'created', label: 'Created', sort: 'createdTime', render: (p) => <Text size="sm" c="dimmed">{formatTime(p.createdTime)}</Text> },
  ];

  return (
    <>
      <PageHeader title="Asset profiles" subtitle="Defaults of asset types" />
      <DataTable
        paged={paged}
        columns={columns}
        rowKey={(p) => p.id!.id}
        onRowClick={(p) => setEditing(p)}
        emptyText="No asset profiles"
        toolbar={
          <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing(null)}>
            Add profile
          </Button>
        }
        actions={(p) => (
          <Group gap={4} wrap="nowrap">
            <Tooltip label="Edit">
              <ActionIcon variant="subtle" aria-label={`Edit ${p.name}`} onClick={() => setEditing(p)}>
                <IconPencil size={16} />
              </ActionIcon>
            </Tooltip>
            <Tooltip label="Make default">
              <ActionIcon variant="subtle" aria-label={`Make ${p.name} default`} disabled={p.default} onClick={() => run(() => makeDefaultAssetProfile(p.id!.id), `${p.name} is the default profile`)}>
                <IconStar size={16} />
              </ActionIcon>
            </Tooltip>
            <Tooltip label="Delete">
              <ActionIcon
                variant="subtle"
                color="red"
                aria-label={`Delete ${p.name}`}
                disabled={p.default}
                onClick={() => confirmAction(`Delete asset profile "${p.name}"?`) && run(() => deleteAssetProfile(p.id!.id), `Deleted ${p.name}`)}
              >
                <IconTrash size={16} />
              </ActionIcon>
            </Tooltip>
          </Group>
        )}
      />
      {editing !== undefined && (
        <ProfileModal
          profile={editing}
          onClose={() => setEditing(undefined)}
          onSaved={(saved) => {
            setEditing(undefined);
            notifications.show({ color: 'green', message: `Saved ${saved.name}` });
            paged.reload();
          }}
        />
      )}
    </>
  );
}
