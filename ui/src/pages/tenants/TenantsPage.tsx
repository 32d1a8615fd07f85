import { Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { deleteTenant, tenantPage, type Tenant } from '../../api/tenants';
import type { Column } from '../../components/DataTable';
import { usePaged } from '../../components/usePaged';
import { SectionGuard } from '../../layout/SectionGuard';
import { formatTime } from '../../lib/format';
import { EntityListPage } from '../EntityListPage';
import { TenantFormModal } from './TenantFormModal';

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

  const columns: Column<Tenant>[] = [
    { key: 'title', label: 'Title', sort: 'title', render: (c) => <Text size="sm" fw={600}>{c.title}</Text> },
    { key: 'email', label: 'E-mail', sort: 'email', render: (c) => text(c.email) },
    { key: 'profile', label: 'Tenant profile', render: (c) => text(c.tenantProfileName) },
    { key: 'phone', label: 'Phone', render: (c) => text(c.phone) },
    { key: 'city', label: 'City', sort: 'city', render: (c) => text(c.city) },
    { key: 'created', label: 'Created', sort: 'createdTime', render: (c) => <Text size="sm" c="dimmed">{formatTime(c.createdTime)}</Text> },
  ];

  return (
    <EntityListPage
      title="Tenants"
      subtitle="Organisations on this platform"
      paged={paged}
      columns={columns}
      rowKey={(c) => c.id!.id}
      name={(c) => c.title}
      onRowClick={(c) => navigate(`/tenants/${c.id!.id}`)}
      searchPlaceholder="Search by title"
      emptyText="No tenants"
      minWidth={720}
      add={{ label: 'Add tenant', onClick: () => setEditing(null) }}
      edit={setEditing}
      remove={{
        confirm: (c) => `Delete tenant "${c.title}" and everything it owns (devices, users, dashboards…)?`,
        run: (c) => deleteTenant(c.id!.id),
      }}
    >
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
    </EntityListPage>
  );
}
