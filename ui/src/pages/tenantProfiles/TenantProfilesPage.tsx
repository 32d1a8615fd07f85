import { ActionIcon, Badge, Button, Group, Text, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconFlag, IconPencil, IconPlus, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { describeError } from '../../api/errors';
import { deleteTenantProfile, makeDefaultTenantProfile, tenantProfilePage, type TenantProfile } from '../../api/tenants';
import { confirmAction } from '../../components/confirm';
import { DataTable, type Column } from '../../components/DataTable';
import { PageHeader } from '../../components/PageHeader';
import { usePaged } from '../../components/usePaged';
import { SectionGuard } from '../../layout/SectionGuard';
import { formatTime } from '../../lib/format';
import { TenantProfileFormModal } from './TenantProfileFormModal';

export function TenantProfilesPage() {
  return (
    <SectionGuard section="tenantProfiles">
      <TenantProfilesPageContent />
    </SectionGuard>
  );
}

function TenantProfilesPageContent() {
  const paged = usePaged<TenantProfile>(tenantProfilePage);
  const [editing, setEditing] = useState<TenantProfile | null | undefined>(undefined);

  async function run(action: () => Promise<unknown>, done: string) {
    try {
      await action();
      notifications.show({ color: 'green', message: done });
      paged.reload();
    } catch (e) {
      notifications.show({ color: 'red', message: describeError(e) });
    }
  }

  function remove(p: TenantProfile) {
    if (!confirmAction(`Delete tenant profile "${p.name}"?`)) return;
    void run(() => deleteTenantProfile(p.id!.id), `Deleted ${p.name}`);
  }

  const columns: Column<TenantProfile>[] = [
    {
      key: 'name',
      label: 'Name',
      sort: 'name',
      render: (p) => (
        <Group gap="xs" wrap="nowrap">
          <Text size="sm" fw={600}>
            {p.name}
          </Text>
          {p.default && <Badge variant="light">default</Badge>}
        </Group>
      ),
    },
    { key: 'description', label: 'Description', render: (p) => <Text size="sm">{p.description ?? ''}</Text> },
    { key: 'isolated', label: 'Isolated', render: (p) => (p.isolatedTbRuleEngine ? <Badge variant="light" color="grape">isolated</Badge> : null) },
    { key: 'created', label: 'Created', sort: 'createdTime', render: (p) => <Text size="sm" c="dimmed">{formatTime(p.createdTime)}</Text> },
  ];

  return (
    <>
      <PageHeader title="Tenant profiles" subtitle="Limits and defaults for tenants" />
      <DataTable
        paged={paged}
        columns={columns}
        rowKey={(p) => p.id!.id}
        onRowClick={(p) => setEditing(p)}
        searchPlaceholder="Search by name"
        emptyText="No tenant profiles"
        minWidth={640}
        toolbar={
          <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing(null)}>
            Add tenant profile
          </Button>
        }
        actions={(p) => (
          <Group gap={4} wrap="nowrap">
            <Tooltip label="Make default">
              <ActionIcon
                variant="subtle"
                aria-label={`Make ${p.name} default`}
                disabled={p.default}
                onClick={() => void run(() => makeDefaultTenantProfile(p.id!.id), `${p.name} is the default`)}
              >
                <IconFlag size={16} />
              </ActionIcon>
            </Tooltip>
            <Tooltip label="Edit">
              <ActionIcon variant="subtle" aria-label={`Edit ${p.name}`} onClick={() => setEditing(p)}>
                <IconPencil size={16} />
              </ActionIcon>
            </Tooltip>
            <Tooltip label="Delete">
              <ActionIcon variant="subtle" color="red" aria-label={`Delete ${p.name}`} disabled={p.default} onClick={() => remove(p)}>
                <IconTrash size={16} />
              </ActionIcon>
            </Tooltip>
          </Group>
        )}
      />
      <TenantProfileFormModal
        opened={editing !== undefined}
        profile={editing}
        onClose={() => setEditing(undefined)}
        onSaved={(saved) => {
          setEditing(undefined);
          notifications.show({ color: 'green', message: `Saved ${saved.name}` });
          paged.reload();
        }}
      />
    </>
  );
}
