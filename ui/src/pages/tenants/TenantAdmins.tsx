import { ActionIcon, Alert, Button, Group, Modal, SimpleGrid, Stack, Text, TextInput, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconLink, IconPlus, IconTrash } from '@tabler/icons-react';
import { useCallback, useState, type FormEvent } from 'react';
import { describeError } from '../../api/errors';
import { tenantAdmins } from '../../api/tenants';
import { deleteUser, saveUser, type UserRow } from '../../api/users';
import { confirmAction } from '../../components/confirm';
import { DataTable, type Column } from '../../components/DataTable';
import { usePaged } from '../../components/usePaged';
import { formatTime } from '../../lib/format';
import type { PageLink } from '../../lib/pageLink';
import { ActivationModal } from '../users/ActivationModal';

function AddAdminModal({ tenantId, opened, onClose, onSaved }: { tenantId: string; opened: boolean; onClose: () => void; onSaved: (u: UserRow) => void }) {
  const [email, setEmail] = useState('');
  const [firstName, setFirstName] = useState('');
  const [lastName, setLastName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const saved = await saveUser({
        email: email.trim(),
        authority: 'TENANT_ADMIN',
        tenantId: { entityType: 'TENANT', id: tenantId },
        firstName: firstName.trim() || null,
        lastName: lastName.trim() || null,
      });
      setEmail('');
      setFirstName('');
      setLastName('');
      onSaved(saved);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal opened={opened} onClose={onClose} title="Add tenant administrator" centered>
      <form onSubmit={submit}>
        <Stack>
          {error && (
            <Alert color="red" variant="light">
              {error}
            </Alert>
          )}
          <TextInput label="E-mail" type="email" required value={email} onChange={(e) => setEmail(e.currentTarget.value)} data-autofocus />
          <SimpleGrid cols={2}>
            <TextInput label="First name" value={firstName} onChange={(e) => setFirstName(e.currentTarget.value)} />
            <TextInput label="Last name" value={lastName} onChange={(e) => setLastName(e.currentTarget.value)} />
          </SimpleGrid>
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={busy} disabled={!email.trim()}>
              Add
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/** The tenant's administrators: add one, show its activation link, delete. */
export function TenantAdmins({ tenantId }: { tenantId: string }) {
  const load = useCallback((link: PageLink) => tenantAdmins(tenantId, link), [tenantId]);
  const paged = usePaged<UserRow>(load, { sortProperty: 'email', sortOrder: 'ASC' });
  const [adding, setAdding] = useState(false);
  const [activating, setActivating] = useState<UserRow | null>(null);

  async function remove(u: UserRow) {
    if (!confirmAction(`Delete tenant administrator ${u.email}?`)) return;
    try {
      await deleteUser(u.id.id);
      notifications.show({ color: 'green', message: `Deleted ${u.email}` });
      paged.reload();
    } catch (e) {
      notifications.show({ color: 'red', message: describeError(e) });
    }
  }

  const columns: Column<UserRow>[] = [
    { key: 'email', label: 'E-mail', sort: 'email', render: (u) => <Text size="sm" fw={600}>{u.email}</Text> },
    { key: 'name', label: 'Name', render: (u) => <Text size="sm">{[u.firstName, u.lastName].filter(Boolean).join(' ')}</Text> },
    { key: 'created', label: 'Created', sort: 'createdTime', render: (u) => <Text size="sm" c="dimmed">{formatTime(u.createdTime)}</Text> },
  ];

  return (
    <>
      <DataTable
        paged={paged}
        columns={columns}
        rowKey={(u) => u.id.id}
        searchPlaceholder="Search by e-mail"
        emptyText="No tenant administrators"
        toolbar={
          <Button leftSection={<IconPlus size={16} />} onClick={() => setAdding(true)}>
            Add tenant admin
          </Button>
        }
        actions={(u) => (
          <Group gap={4} wrap="nowrap">
            <Tooltip label="Activation link">
              <ActionIcon variant="subtle" aria-label={`Activation link of ${u.email}`} onClick={() => setActivating(u)}>
                <IconLink size={16} />
              </ActionIcon>
            </Tooltip>
            <Tooltip label="Delete">
              <ActionIcon variant="subtle" color="red" aria-label={`Delete ${u.email}`} onClick={() => remove(u)}>
                <IconTrash size={16} />
              </ActionIcon>
            </Tooltip>
          </Group>
        )}
      />
      <AddAdminModal
        tenantId={tenantId}
        opened={adding}
        onClose={() => setAdding(false)}
        onSaved={(u) => {
          setAdding(false);
          paged.reload();
          setActivating(u);
        }}
      />
      <ActivationModal user={activating} onClose={() => setActivating(null)} />
    </>
  );
}
