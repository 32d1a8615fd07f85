import { ActionIcon, Button, Group, Text, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPencil, IconPlus, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { deleteTenant, tenantPage, type Tenant } from '../../api/tenants';
import { describeError } from '../../api/errors';
import { confirmAction } from '../../components/confirm';
import { DataTable, type Column } from '../../components/DataTable';
import { PageHeader } from '../../components/PageHeader';
import { usePaged } from '../../components/usePaged';
import { formatTime } from '../../lib/format';
import { TenantFormModal } from './TenantFormModal';
import { SectionGuard } from '../../layout/SectionGuard';

const text = (value: unknown) => <Text size="sm">{typeof value === 'string' ? value : ''}</Text>;

export function TenantsPage() {
  return (
    <SectionGuard section="tenants">
      <TenantsPageContent />
    </SectionGuard>
  );
}

function TenantsPageContent() {
  const navigate = useNavigate();
  const paged = usePaged<Tenant>(tenantPage);
  const [editing, setEditing] = useState<Tenant | null | undefined>(undefined);

  async function remove(c: Tenant) {
    if (!confirmAction(`Delete tenant "${c.title}" and everything it owns (devices, users, dashboards…)?`)) return;
    try {
      await deleteTenant(c.id!.id);
      notifications.show({ color: 'green', message: `Deleted ${c.title}` });
      paged.reload();
    } catch (e) {
      notifications.show({ color: 'red', message: describeError(e) });
    }
  }

  const columns: Column<Tenant>[] = [
    { key: 'title', label: 'Title', sort: 'title', render: (c) => <Text size="sm" fw={600}>{c.title}</Text> },
    { key: 'email', label: 'E-mail', sort: 'email', render: (c) => text(c.email) },
    { key: 'profile', label: 'Tenant profile', render: (c) => text(c.tenantProfileName) },
    { key: 'phone', label: 'Phone', render: (c) => text(c.phone) },
    { key: 'city', label: 'City', sort: 'city', render: (c) => text(c.city) },
    { key: 'created', label: 'Created', sort: 'createdTime', render: (c) => <Text size="sm" c="dimmed">{formatTime(c.createdTime)}</Text> },
  ];

  return (
    <>
      <PageHeader title="Tenants" subtitle="Organisations on this platform" />
      <DataTable
        paged={paged}
        columns={columns}
        rowKey={(c) => c.id!.id}
        onRowClick={(c) => navigate(`/tenants/${c.id!.id}`)}
        searchPlaceholder="Search by title"
        emptyText="No tenants"
        minWidth={720}
        toolbar={
          <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing(null)}>
            Add tenant
          </Button>
        }
        actions={(c) => (
          <Group gap={4} wrap="nowrap">
            <Tooltip label="Edit">
              <ActionIcon variant="subtle" aria-label={`Edit ${c.title}`} onClick={() => setEditing(c)}>
                <IconPencil size={16} />
              </ActionIcon>
            </Tooltip>
            <Tooltip label="Delete">
              <ActionIcon variant="subtle" color="red" aria-label={`Delete ${c.title}`} onClick={() => remove(c)}>
                <IconTrash size={16} />
              </ActionIcon>
            </Tooltip>
          </Group>
        )}
      />
      <TenantFormModal
        opened={editing !== undefined}
        tenant={editing}
        onClose={() => setEditing(undefined)}
        onSaved={(saved) => {
          const created = !editing;
          setEditing(undefined);
          notifications.show({ color: 'green', message: `Saved ${saved.title}` });
          if (created && saved.id) navigate(`/tenants/${saved.id.id}`);
          else paged.reload();
        }}
      />
    </>
  );
}
