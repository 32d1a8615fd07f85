import { Badge, Button, Group, Select, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconFileImport, IconTrash, IconUserMinus, IconUserShare } from '@tabler/icons-react';
import { useCallback, useMemo, useState } from 'react';
import { useNavigate } from 'react-router';
import { assignToCustomer, deleteDevice, deviceInfos, unassignFromCustomer } from '../../api/devices';
import type { Device, DeviceInfo } from '../../api/types';
import { useUser } from '../../auth/session';
import { countOf } from '../../components/bulk';
import { AssignOwnerModal } from '../../components/AssignOwnerModal';
import { BulkActionModal, type BulkAction } from '../../components/BulkActionModal';
import type { Column } from '../../components/DataTable';
import { usePaged } from '../../components/usePaged';
import { formatTime } from '../../lib/format';
import { devicePermissions } from '../../lib/navigation';
import type { PageLink } from '../../lib/pageLink';
import { EntityListPage } from '../EntityListPage';
import { BulkImportModal } from './BulkImportModal';
import { bulkAssignDevices, bulkDeleteDevices, bulkUnassignDevices } from './bulkApi';
import { DeviceFormModal } from './DeviceFormModal';
import { useCustomerOptions } from '../../components/useCustomerOptions';

type BulkKind = 'assign' | 'unassign' | 'delete';

export function DevicesPage() {
  const user = useUser();
  const can = devicePermissions(user.authority);
  const navigate = useNavigate();
  const load = useCallback((link: PageLink) => deviceInfos(user, link), [user]);
  const paged = usePaged<DeviceInfo>(load);
  const [editing, setEditing] = useState<Device | null | undefined>(undefined);
  const [assigning, setAssigning] = useState<DeviceInfo | null>(null);
  const [importing, setImporting] = useState(false);
  const [selected, setSelected] = useState<Map<string, DeviceInfo>>(new Map());
  const [bulk, setBulk] = useState<BulkKind | null>(null);
  const [customer, setCustomer] = useState<string | null>(null);
  const customerOptions = useCustomerOptions(bulk === 'assign');
  const names = useMemo(() => new Map([...selected].map(([id, d]) => [id, d.name])), [selected]);
  const many = countOf(selected.size, 'device');
  const customerTitle = customerOptions.options.find((o) => o.value === customer)?.label;

  const bulkActions: Record<BulkKind, BulkAction> = {
    assign: {
      title: 'Assign to customer',
      question: `Assign ${many} to ${customerTitle ?? 'the chosen customer'}? Its users will see them.`,
      confirmLabel: 'Assign',
      done: 'Assigned',
      form: <Select label="Customer" placeholder="Choose a customer" searchable data={customerOptions.options} value={customer} onChange={setCustomer} error={customerOptions.error} />,
      ready: customer !== null,
      run: (ids) => bulkAssignDevices(ids, customer!),
    },
    unassign: {
      title: 'Unassign from customers',
      question: `Take ${many} back from their customers?`,
      confirmLabel: 'Unassign',
      done: 'Unassigned',
      run: bulkUnassignDevices,
    },
    delete: {
      title: 'Delete devices',
      question: `Delete ${many}? Their telemetry and credentials go too.`,
      confirmLabel: 'Delete',
      color: 'red',
      done: 'Deleted',
      run: bulkDeleteDevices,
    },
  };

  const columns: Column<DeviceInfo>[] = [
    { key: 'name', label: 'Name', sort: 'name', render: (d) => <Text size="sm" fw={600}>{d.name}</Text> },
    { key: 'type', label: 'Profile', sort: 'type', render: (d) => <Badge variant="light" color="indigo">{d.deviceProfileName ?? d.type}</Badge> },
    { key: 'label', label: 'Label', sort: 'label', render: (d) => <Text size="sm">{d.label}</Text> },
    ...(user.authority === 'TENANT_ADMIN'
      ? [{ key: 'customer', label: 'Customer', sort: 'customerTitle', render: (d: DeviceInfo) => <Text size="sm">{d.customerTitle ?? ''}</Text> }]
      : []),
    { key: 'active', label: 'State', render: (d) => <Badge variant="dot" color={d.active ? 'green' : 'gray'}>{d.active ? 'Active' : 'Inactive'}</Badge> },
    { key: 'created', label: 'Created', sort: 'createdTime', render: (d) => <Text size="sm" c="dimmed">{formatTime(d.createdTime)}</Text> },
  ];

  return (
    <EntityListPage
      title="Devices"
      subtitle="Sensors, controllers and gateways"
      paged={paged}
      columns={columns}
      rowKey={(d) => d.id!.id}
      name={(d) => d.name}
      onRowClick={(d) => navigate(`/devices/${d.id!.id}`)}
      searchPlaceholder="Search by name or label"
      emptyText="No devices"
      minWidth={800}
      selection={can.assign ? { selected, onChange: setSelected, label: (d) => d.name } : undefined}
      toolbar={
        can.create && (
          <>
            {selected.size > 0 && (
              <Group gap="xs" data-testid="bulk-bar">
                <Text size="sm" fw={600}>
                  {selected.size} selected
                </Text>
                <Button variant="light" leftSection={<IconUserShare size={16} />} onClick={() => setBulk('assign')}>
                  Assign selected
                </Button>
                <Button variant="light" leftSection={<IconUserMinus size={16} />} onClick={() => setBulk('unassign')}>
                  Unassign selected
                </Button>
                <Button variant="light" color="red" leftSection={<IconTrash size={16} />} onClick={() => setBulk('delete')}>
                  Delete selected
                </Button>
              </Group>
            )}
            <Button variant="default" leftSection={<IconFileImport size={16} />} onClick={() => setImporting(true)}>
              Import CSV
            </Button>
          </>
        )
      }
      add={can.create ? { label: 'Add device', onClick: () => setEditing(null) } : undefined}
      edit={can.edit ? setEditing : undefined}
      rowActions={can.assign ? [{ tooltip: 'Assign to customer', label: (d) => `Assign ${d.name}`, icon: <IconUserShare size={16} />, onClick: setAssigning }] : []}
      remove={
        can.delete
          ? {
              confirm: (d) => `Delete device "${d.name}"? Its telemetry and credentials go too.`,
              run: async (d) => {
                await deleteDevice(d.id!.id);
                setSelected((current) => {
                  const next = new Map(current);
                  next.delete(d.id!.id);
                  return next;
                });
              },
            }
          : undefined
      }
    >
      <DeviceFormModal
        opened={editing !== undefined}
        device={editing}
        onClose={() => setEditing(undefined)}
        onSaved={(saved) => {
          const created = !editing;
          setEditing(undefined);
          notifications.show({ color: 'green', message: `${created ? 'Added' : 'Saved'} ${saved.name}` });
          if (created && saved.id) navigate(`/devices/${saved.id.id}/credentials`);
          else paged.reload();
        }}
      />
      <BulkImportModal opened={importing} onClose={() => setImporting(false)} onImported={paged.reload} />
      <AssignOwnerModal
        entity={assigning}
        assign={(customerId) => assignToCustomer(assigning!.id!.id, customerId)}
        unassign={() => unassignFromCustomer(assigning!.id!.id)}
        onClose={() => setAssigning(null)}
        onDone={() => {
          setAssigning(null);
          paged.reload();
        }}
      />
      <BulkActionModal
        action={bulk ? bulkActions[bulk] : null}
        names={names}
        onClose={(changed) => {
          setBulk(null);
          setCustomer(null);
          if (changed) {
            setSelected(new Map());
            paged.reload();
          }
        }}
      />
    </EntityListPage>
  );
}
