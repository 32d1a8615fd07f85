import { ActionIcon, Button, Group, Text, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPencil, IconPlus, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { customerPage, deleteCustomer, type Customer } from '../../api/customers';
import { describeError } from '../../api/errors';
import { confirmAction } from '../../components/confirm';
import { DataTable, type Column } from '../../components/DataTable';
import { PageHeader } from '../../components/PageHeader';
import { usePaged } from '../../components/usePaged';
import { formatTime } from '../../lib/format';
import { CustomerFormModal } from './CustomerFormModal';
import { SectionGuard } from '../../layout/SectionGuard';

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

  async function remove(c: Customer) {
    if (!confirmAction(`Delete customer "${c.title}"? Its users are deleted; its devices and assets return to the tenant.`)) return;
    try {
      await deleteCustomer(c.id!.id);
      notifications.show({ color: 'green', message: `Deleted ${c.title}` });
      paged.reload();
    } catch (e) {
      notifications.show({ color: 'red', message: describeError(e) });
    }
  }

  const columns: Column<Customer>[] = [
    { key: 'title', label: 'Title', sort: 'title', render: (c) => <Text size="sm" fw={600}>{c.title}</Text> },
    { key: 'email', label: 'E-mail', sort: 'email', render: (c) => text(c.email) },
    { key: 'phone', label: 'Phone', render: (c) => text(c.phone) },
    { key: 'city', label: 'City', sort: 'city', render: (c) => text(c.city) },
    { key: 'created', label: 'Created', sort: 'createdTime', render: (c) => <Text size="sm" c="dimmed">{formatTime(c.createdTime)}</Text> },
  ];

  return (
    <>
      <PageHeader title="Customers" subtitle="Who your devices are shared with" />
      <DataTable
        paged={paged}
        columns={columns}
        rowKey={(c) => c.id!.id}
        onRowClick={(c) => navigate(`/customers/${c.id!.id}`)}
        searchPlaceholder="Search by title"
        emptyText="No customers"
        minWidth={720}
        toolbar={
          <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing(null)}>
            Add customer
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
    </>
  );
}
