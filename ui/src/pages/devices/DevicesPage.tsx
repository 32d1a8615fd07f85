import { ActionIcon, Badge, Button, Group, Text, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconFileImport, IconPencil, IconPlus, IconTrash, IconUserShare } from '@tabler/icons-react';
import { useCallback, useState } from 'react';
import { useNavigate } from 'react-router';
import { deleteDevice, deviceInfos } from '../../api/devices';
import { describeError } from '../../api/errors';
import type { Device, DeviceInfo } from '../../api/types';
import { useUser } from '../../auth/session';
import { confirmAction } from '../../components/confirm';
import { DataTable, type Column } from '../../components/DataTable';
import { PageHeader } from '../../components/PageHeader';
import { usePaged } from '../../components/usePaged';
import { formatTime } from '../../lib/format';
import { devicePermissions } from '../../lib/navigation';
import type { PageLink } from '../../lib/pageLink';
import { AssignModal } from './AssignModal';
import { BulkImportModal } from './BulkImportModal';
import { DeviceFormModal } from './DeviceFormModal';

export function DevicesPage() {
  const user = useUser();
  const can = devicePermissions(user.authority);
  const navigate = useNavigate();
  const load = useCallback((link: PageLink) => deviceInfos(user, link), [user]);
  const paged = usePaged<DeviceInfo>(load);
  const [editing, setEditing] = useState<Device | null | undefined>(undefined);
  const [assigning, setAssigning] = useState<DeviceInfo | null>(null);
  const [importing, setImporting] = useState(false);

  async function remove(device: DeviceInfo) {
    if (!confirmAction(`Delete device "${device.name}"? Its telemetry and credentials go too.`)) return;
    try {
      await deleteDevice(device.id!.id);
      notifications.show({ color: 'green', message: `Deleted ${device.name}` });
      paged.reload();
    } catch (e) {
      notifications.show({ color: 'red', message: describeError(e) });
    }
  }

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
    <>
      <PageHeader title="Devices" subtitle="Sensors, controllers and gateways" />
      <DataTable
        paged={paged}
        columns={columns}
        rowKey={(d) => d.id!.id}
        onRowClick={(d) => navigate(`/devices/${d.id!.id}`)}
        searchPlaceholder="Search by name or label"
        emptyText="No devices"
        minWidth={760}
        toolbar={
          can.create && (
            <Group gap="xs">
              <Button variant="default" leftSection={<IconFileImport size={16} />} onClick={() => setImporting(true)}>
                Import CSV
              </Button>
              <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing(null)}>
                Add device
              </Button>
            </Group>
          )
        }
        actions={
          can.edit
            ? (d) => (
                <Group gap={4} wrap="nowrap">
                  <Tooltip label="Edit">
                    <ActionIcon variant="subtle" aria-label={`Edit ${d.name}`} onClick={() => setEditing(d)}>
                      <IconPencil size={16} />
                    </ActionIcon>
                  </Tooltip>
                  {can.assign && (
                    <Tooltip label="Assign to customer">
                      <ActionIcon variant="subtle" aria-label={`Assign ${d.name}`} onClick={() => setAssigning(d)}>
                        <IconUserShare size={16} />
                      </ActionIcon>
                    </Tooltip>
                  )}
                  {can.delete && (
                    <Tooltip label="Delete">
                      <ActionIcon variant="subtle" color="red" aria-label={`Delete ${d.name}`} onClick={() => remove(d)}>
                        <IconTrash size={16} />
                      </ActionIcon>
                    </Tooltip>
                  )}
                </Group>
              )
            : undefined
        }
      />
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
      <AssignModal
        device={assigning}
        onClose={() => setAssigning(null)}
        onDone={() => {
          setAssigning(null);
          paged.reload();
        }}
      />
    </>
  );
}
