import { Alert, Anchor, Badge, Breadcrumbs, Button, Group, Loader, Paper, SimpleGrid, Stack, Tabs, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import type { AssetInfo } from '../../api/assets';
import { customer as loadCustomer, customerAssets, customerDevices, type Customer } from '../../api/customers';
import { describeError } from '../../api/errors';
import type { DeviceInfo } from '../../api/types';
import { customerUsers } from '../../api/users';
import { DataTable, type Column } from '../../components/DataTable';
import { PageHeader } from '../../components/PageHeader';
import { usePaged } from '../../components/usePaged';
import { formatTime } from '../../lib/format';
import type { PageLink } from '../../lib/pageLink';
import { UserTable } from '../users/UserTable';
import { CustomerFormModal } from './CustomerFormModal';
import { SectionGuard } from '../../layout/SectionGuard';

const TABS = [
  { value: 'details', label: 'Details' },
  { value: 'users', label: 'Users' },
  { value: 'devices', label: 'Devices' },
  { value: 'assets', label: 'Assets' },
] as const;

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Stack gap={2}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text size="sm">{children || '—'}</Text>
    </Stack>
  );
}

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

/** One customer: details, its users, and the devices and assets assigned to it. */
export function CustomerPage() {
  return (
    <SectionGuard section="customers">
      <CustomerPageContent />
    </SectionGuard>
  );
}

function CustomerPageContent() {
  const { customerId = '', tab = 'details' } = useParams();
  const navigate = useNavigate();
  const [customer, setCustomer] = useState<Customer | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);

  const reload = useCallback(() => {
    loadCustomer(customerId)
      .then(setCustomer)
      .catch((e: unknown) => setError(describeError(e)));
  }, [customerId]);
  useEffect(reload, [reload]);
  const loadUsers = useCallback((link: PageLink) => customerUsers(customerId, link), [customerId]);

  if (error) return <Alert color="red">{error}</Alert>;
  if (!customer) return <Loader m="xl" />;
  const current = TABS.some((t) => t.value === tab) ? tab : 'details';
  return (
    <>
      <Breadcrumbs mb="xs">
        <Anchor component={Link} to="/customers" size="sm">
          Customers
        </Anchor>
        <Text size="sm">{customer.title}</Text>
      </Breadcrumbs>
      <PageHeader title={customer.title} subtitle={customer.email ?? undefined} />
      <Paper withBorder radius="md">
        <Tabs value={current} onChange={(v) => v && navigate(`/customers/${customerId}/${v}`, { replace: true })} keepMounted={false}>
          <Tabs.List style={{ flexWrap: 'nowrap', overflowX: 'auto', overflowY: 'hidden' }}>
            {TABS.map((t) => (
              <Tabs.Tab key={t.value} value={t.value} style={{ whiteSpace: 'nowrap' }}>
                {t.label}
              </Tabs.Tab>
            ))}
          </Tabs.List>
          <Tabs.Panel value="details" p="md">
            <Stack>
              <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }} spacing="lg">
                <Field label="Title">{customer.title}</Field>
                <Field label="E-mail">{customer.email}</Field>
                <Field label="Phone">{customer.phone}</Field>
                <Field label="Country">{customer.country}</Field>
                <Field label="City">{customer.city}</Field>
                <Field label="Address">{customer.address}</Field>
                <Field label="Created">{formatTime(customer.createdTime)}</Field>
                <Field label="Description">{customer.additionalInfo?.description}</Field>
              </SimpleGrid>
              <Group>
                <Button variant="light" onClick={() => setEditing(true)}>
                  Edit
                </Button>
              </Group>
            </Stack>
          </Tabs.Panel>
          <Tabs.Panel value="users" p="md">
            <UserTable load={loadUsers} customerId={customerId} />
          </Tabs.Panel>
          <Tabs.Panel value="devices" p="md">
            <OwnedDevices customerId={customerId} />
          </Tabs.Panel>
          <Tabs.Panel value="assets" p="md">
            <OwnedAssets customerId={customerId} />
          </Tabs.Panel>
        </Tabs>
      </Paper>
      <CustomerFormModal
        opened={editing}
        customer={customer}
        onClose={() => setEditing(false)}
        onSaved={(saved) => {
          setEditing(false);
          setCustomer(saved);
          notifications.show({ color: 'green', message: 'Saved' });
        }}
      />
    </>
  );
}
