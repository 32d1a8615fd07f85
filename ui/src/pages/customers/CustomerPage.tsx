import { Badge, Button, Group, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useCallback, useState, type ReactNode } from 'react';
import { useNavigate, useParams } from 'react-router';
import type { AssetInfo } from '../../api/assets';
import { customer as loadCustomer, customerAssets, customerDevices, type Customer } from '../../api/customers';
import type { DeviceInfo, EntityId, PageData } from '../../api/types';
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

/** A page of what the customer owns; a row opens the entity's own page. */
function Owned<T extends { id?: { id: string } }>(props: { load: (link: PageLink) => Promise<PageData<T>>; columns: Column<T>[]; path: string; emptyText: string }) {
  const navigate = useNavigate();
  const paged = usePaged<T>(props.load);
  return <DataTable paged={paged} columns={props.columns} rowKey={(r) => r.id!.id} onRowClick={(r) => navigate(`${props.path}/${r.id!.id}`)} emptyText={props.emptyText} />;
}

function named<T extends { name: string; label?: string | null }>(profile: (row: T) => ReactNode): Column<T>[] {
  return [
    { key: 'name', label: 'Name', sort: 'name', render: (r) => <Text size="sm" fw={600}>{r.name}</Text> },
    { key: 'type', label: 'Profile', sort: 'type', render: profile },
    { key: 'label', label: 'Label', sort: 'label', render: (r) => <Text size="sm">{r.label}</Text> },
  ];
}

const DEVICE_COLUMNS = named<DeviceInfo>((d) => <Badge variant="light">{d.deviceProfileName ?? d.type}</Badge>);
const ASSET_COLUMNS = named<AssetInfo>((a) => <Badge variant="light" color="teal">{a.assetProfileName ?? a.type}</Badge>);

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
  const loadDevices = useCallback((link: PageLink) => customerDevices(customerId, link), [customerId]);
  const loadAssets = useCallback((link: PageLink) => customerAssets(customerId, link), [customerId]);
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
        { value: 'devices', label: 'Devices', render: () => <Owned load={loadDevices} columns={DEVICE_COLUMNS} path="/devices" emptyText="No devices assigned" /> },
        { value: 'assets', label: 'Assets', render: () => <Owned load={loadAssets} columns={ASSET_COLUMNS} path="/assets" emptyText="No assets assigned" /> },
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
