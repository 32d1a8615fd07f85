import { Badge, Button, Group, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useCallback, useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import type { AssetInfo } from '../../api/assets';
import { customer as loadCustomer, customerAssets, customerDevices, type Customer } from '../../api/customers';
import type { DeviceInfo, EntityId } from '../../api/types';
import { customerUsers } from '../../api/users';
import { useUser } from '../../auth/session';
import { DataTable, type Column } from '../../components/DataTable';
import { EntityDetailPage } from '../../components/EntityDetailPage';
import { ContactFields } from '../../components/Field';
import { commonTabs } from '../../components/entity/commonTabs';
import { usePaged } from '../../components/usePaged';
import { SectionGuard } from '../../layout/SectionGuard';
import { formatTime } from '../../lib/format';
import type { PageLink } from '../../lib/pageLink';
import { UserTable } from '../users/UserTable';
import { CustomerFormModal } from './CustomerFormModal';

function OwnedDevices({ customerId }: { customerId: string }) {
  const navigate = useNavigate();
  const load = useCallback((link: PageLink) => customerDevices(customerId, link), [customerId]);
  const paged = usePaged<DeviceInfo>(load);
  const columns: Column<DeviceInfo>[] = [
    { key: 'name', label: 'Name', sort: 'name', render: (d) => <Text size="sm" fw={600}>{d.name}</Text> },
    { key: 'type', label: 'Profile', sort: 'type', render: (d) => <Badge variant="light">{d.deviceProfileName ?? d.type}</Badge> },
    { key: 'label', label: 'Label', sort: 'label', render: (d) => <Text size="sm">{d.label}</Text> },
  ];
  return <DataTable paged={paged} columns={columns} rowKey={(d) => d.id!.id} onRowClick={(d) => navigate(`/devices/${d.id!.id}`)} emptyText="No devices assigned" />;
}

function OwnedAssets({ customerId }: { customerId: string }) {
  const navigate = useNavigate();
  const load = useCallback((link: PageLink) => customerAssets(customerId, link), [customerId]);
  const paged = usePaged<AssetInfo>(load);
  const columns: Column<AssetInfo>[] = [
    { key: 'name', label: 'Name', sort: 'name', render: (a) => <Text size="sm" fw={600}>{a.name}</Text> },
    { key: 'type', label: 'Profile', sort: 'type', render: (a) => <Badge variant="light" color="teal">{a.assetProfileName ?? a.type}</Badge> },
    { key: 'label', label: 'Label', sort: 'label', render: (a) => <Text size="sm">{a.label}</Text> },
  ];
  return <DataTable paged={paged} columns={columns} rowKey={(a) => a.id!.id} onRowClick={(a) => navigate(`/assets/${a.id!.id}`)} emptyText="No assets assigned" />;
}

/** One customer: details, its users, the devices and assets assigned to it, and the shared tabs. */
export function CustomerPage() {
  return (
    <SectionGuard section="customers">
      <CustomerPageContent />
    </SectionGuard>
  );
}

function CustomerPageContent() {
  const { customerId = '' } = useParams();
  const user = useUser();
  const [editing, setEditing] = useState(false);
  const loadUsers = useCallback((link: PageLink) => customerUsers(customerId, link), [customerId]);
  const entity: EntityId = { entityType: 'CUSTOMER', id: customerId };

  return (
    <EntityDetailPage<Customer>
      id={customerId}
      load={loadCustomer}
      basePath={`/customers/${customerId}`}
      list={{ label: 'Customers', path: '/customers' }}
      title={(c) => c.title}
      subtitle={(c) => c.email ?? undefined}
      tabs={({ entity: customer }) => [
        {
          value: 'details',
          label: 'Details',
          render: () => (
            <Stack>
              <ContactFields contact={customer} created={formatTime(customer.createdTime)} />
              <Group>
                <Button variant="light" onClick={() => setEditing(true)}>
                  Edit
                </Button>
              </Group>
            </Stack>
          ),
        },
        { value: 'users', label: 'Users', render: () => <UserTable load={loadUsers} customerId={customerId} /> },
        { value: 'devices', label: 'Devices', render: () => <OwnedDevices customerId={customerId} /> },
        { value: 'assets', label: 'Assets', render: () => <OwnedAssets customerId={customerId} /> },
        ...commonTabs(entity, user.authority),
      ]}
    >
      {({ entity: customer, replace }) => (
        <CustomerFormModal
          opened={editing}
          customer={customer}
          onClose={() => setEditing(false)}
          onSaved={(saved) => {
            setEditing(false);
            replace(saved);
            notifications.show({ color: 'green', message: 'Saved' });
          }}
        />
      )}
    </EntityDetailPage>
  );
}
