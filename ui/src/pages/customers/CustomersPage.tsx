import { Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { customerPage, deleteCustomer, type Customer } from '../../api/customers';
import type { Column } from '../../components/DataTable';
import { usePaged } from '../../components/usePaged';
import { SectionGuard } from '../../layout/SectionGuard';
import { formatTime } from '../../lib/format';
import { EntityListPage } from '../EntityListPage';
import { CustomerFormModal } from './CustomerFormModal';

const text = (value: unknown) => <Text size="sm">{typeof value === 'string' ? value : ''}</Text>;

export function CustomersPage() {
  return (
    <SectionGuard section="customers">
      <CustomersPageContent />
    </SectionGuard>
  );
}

function CustomersPageContent() {
  const navigate = useNavigate();
  const paged = usePaged<Customer>(customerPage);
  const [editing, setEditing] = useState<Customer | null | undefined>(undefined);

  const columns: Column<Customer>[] = [
    { key: 'title', label: 'Title', sort: 'title', render: (c) => <Text size="sm" fw={600}>{c.title}</Text> },
    { key: 'email', label: 'E-mail', sort: 'email', render: (c) => text(c.email) },
    { key: 'phone', label: 'Phone', render: (c) => text(c.phone) },
    { key: 'city', label: 'City', sort: 'city', render: (c) => text(c.city) },
    { key: 'created', label: 'Created', sort: 'createdTime', render: (c) => <Text size="sm" c="dimmed">{formatTime(c.createdTime)}</Text> },
  ];

  return (
    <EntityListPage
      title="Customers"
      subtitle="Who your devices are shared with"
      paged={paged}
      columns={columns}
      rowKey={(c) => c.id!.id}
      name={(c) => c.title}
      onRowClick={(c) => navigate(`/customers/${c.id!.id}`)}
      searchPlaceholder="Search by title"
      emptyText="No customers"
      minWidth={720}
      add={{ label: 'Add customer', onClick: () => setEditing(null) }}
      edit={setEditing}
      remove={{
        confirm: (c) => `Delete customer "${c.title}"? Its users are deleted; its devices and assets return to the tenant.`,
        run: (c) => deleteCustomer(c.id!.id),
      }}
    >
      <CustomerFormModal
        opened={editing !== undefined}
        customer={editing}
        onClose={() => setEditing(undefined)}
        onSaved={(saved) => {
          const created = !editing;
          setEditing(undefined);
          notifications.show({ color: 'green', message: `Saved ${saved.title}` });
          if (created && saved.id) navigate(`/customers/${saved.id.id}`);
          else paged.reload();
        }}
      />
    </EntityListPage>
  );
}
