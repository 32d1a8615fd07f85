import { Alert, Badge, Button, Group, Modal, Stack, Text, TextInput, Textarea } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useEffect, useState, type FormEvent } from 'react';
import {
  assetProfilePage,
  deleteAssetProfile,
  makeDefaultAssetProfile,
  saveAssetProfile,
  type AssetProfile,
} from '../../api/assets';
import { describeError } from '../../api/errors';
import type { Column } from '../../components/DataTable';
import { usePaged } from '../../components/usePaged';
import { SectionGuard } from '../../layout/SectionGuard';
import { EntityListPage, makeDefaultAction, useListAction } from '../EntityListPage';
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

  const run = useListAction(paged.reload);

  const columns: Column<AssetProfile>[] = [
    { key: 'name', label: 'Name', sort: 'name', render: (p) => <Text size="sm" fw={600}>{p.name}</Text> },
    { key: 'default', label: 'Default', render: (p) => (p.default ? <Badge variant="light" color="teal">default</Badge> : null) },
    { key: 'description', label: 'Description', render: (p) => <Text size="sm" c="dimmed">{p.description}</Text> },
    { key: 'created', label: 'Created', sort: 'createdTime', render: (p) => <Text size="sm" c="dimmed">{formatTime(p.createdTime)}</Text> },
  ];

  return (
    <EntityListPage
      title="Asset profiles"
      subtitle="Defaults of asset types"
      paged={paged}
      columns={columns}
      rowKey={(p) => p.id!.id}
      name={(p) => p.name}
      onRowClick={(p) => setEditing(p)}
      emptyText="No asset profiles"
      add={{ label: 'Add profile', onClick: () => setEditing(null) }}
      edit={setEditing}
      rowActions={[makeDefaultAction<AssetProfile>(run, (p) => makeDefaultAssetProfile(p.id!.id))]}
      remove={{ confirm: (p) => `Delete asset profile "${p.name}"?`, run: (p) => deleteAssetProfile(p.id!.id), disabled: (p) => Boolean(p.default) }}
    >
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
    </EntityListPage>
  );
}
