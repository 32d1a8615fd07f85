import { Badge, Button, Modal, Stack, Table, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconChartBar, IconDownload, IconUpload } from '@tabler/icons-react';
import { useCallback, useState } from 'react';
import { Navigate } from 'react-router';
import { describeError } from '../../api/errors';
import { useUser } from '../../auth/session';
import type { Column } from '../../components/DataTable';
import { usePaged } from '../../components/usePaged';
import { canOpen } from '../../lib/navigation';
import { formatTime } from '../../lib/format';
import type { PageLink } from '../../lib/pageLink';
import { EntityListPage } from '../EntityListPage';
import {
  deleteOtaPackage,
  downloadOtaContent,
  formatSize,
  otaPackages,
  profileStatus,
  type OtaPackageInfo,
  type ProfileStatus,
} from './otaApi';
import { UploadPackageModal } from './UploadPackageModal';

/** The tenant's firmware and software packages: upload, download, delete, profile status. */
export function OtaPackagesPage() {
  const user = useUser();
  const load = useCallback((link: PageLink) => otaPackages(link), []);
  const paged = usePaged<OtaPackageInfo>(load);
  const [uploading, setUploading] = useState(false);
  const [status, setStatus] = useState<{ info: OtaPackageInfo; counts: ProfileStatus } | null>(null);

  if (!canOpen(user.authority, 'otaPackages')) return <Navigate to="/" replace />;

  async function act(action: () => Promise<unknown>, done?: string) {
    try {
      await action();
      if (done) notifications.show({ color: 'green', message: done });
    } catch (e) {
      notifications.show({ color: 'red', message: describeError(e) });
    }
  }

  async function showStatus(info: OtaPackageInfo) {
    await act(async () => setStatus({ info, counts: await profileStatus(info.deviceProfileId.id, info.type) }));
  }

  const columns: Column<OtaPackageInfo>[] = [
    { key: 'title', label: 'Title', sort: 'title', render: (p) => <Text size="sm" fw={600}>{p.title}</Text> },
    { key: 'version', label: 'Version', sort: 'version', render: (p) => <Text size="sm">{p.version}</Text> },
    {
      key: 'type',
      label: 'Type',
      sort: 'type',
      render: (p) => (
        <Badge variant="light" color={p.type === 'FIRMWARE' ? 'indigo' : 'teal'}>
          {p.type}
        </Badge>
      ),
    },
    { key: 'tag', label: 'Tag', render: (p) => <Text size="sm">{p.tag ?? ''}</Text> },
    { key: 'size', label: 'Size', sort: 'dataSize', render: (p) => <Text size="sm">{p.url ? 'URL' : formatSize(p.dataSize)}</Text> },
    {
      key: 'checksum',
      label: 'Checksum',
      render: (p) => (
        <Text size="xs" ff="monospace" c="dimmed">
          {p.checksumAlgorithm ? `${p.checksumAlgorithm} ${(p.checksum ?? '').slice(0, 16)}…` : ''}
        </Text>
      ),
    },
    { key: 'created', label: 'Created', sort: 'createdTime', render: (p) => <Text size="sm" c="dimmed">{formatTime(p.createdTime)}</Text> },
  ];

  return (
    <EntityListPage
      title="OTA packages"
      subtitle="Firmware and software images devices download over MQTT, HTTP and CoAP"
      paged={paged}
      columns={columns}
      rowKey={(p) => p.id!.id}
      name={(p) => p.title}
      searchPlaceholder="Search by title"
      emptyText="No packages"
      minWidth={820}
      toolbar={
        <Button leftSection={<IconUpload size={16} />} onClick={() => setUploading(true)}>
          Upload package
        </Button>
      }
      rowActions={[
        { tooltip: "Update status of the profile's devices", label: (p) => `Status of ${p.title}`, icon: <IconChartBar size={16} />, onClick: (p) => void showStatus(p) },
        {
          tooltip: 'Download',
          label: (p) => `Download ${p.title}`,
          icon: <IconDownload size={16} />,
          hidden: (p) => !p.hasData || Boolean(p.url),
          onClick: (p) => void act(() => downloadOtaContent(p)),
        },
      ]}
      remove={{ confirm: (p) => `Delete package "${p.title} ${p.version}"?`, run: (p) => deleteOtaPackage(p.id!.id) }}
    >
      <UploadPackageModal
        opened={uploading}
        onClose={() => setUploading(false)}
        onSaved={(title) => {
          setUploading(false);
          notifications.show({ color: 'green', message: `Uploaded ${title}` });
          paged.reload();
        }}
      />
      <Modal opened={status !== null} onClose={() => setStatus(null)} title="Update status" centered>
        {status && (
          <Stack>
            <Text size="sm">
              {status.info.type.toLowerCase()} state of the {status.counts.total} devices of this package's profile
            </Text>
            <Table>
              <Table.Tbody>
                {Object.entries(status.counts.states).map(([state, count]) => (
                  <Table.Tr key={state}>
                    <Table.Td>{state === 'NONE' ? 'No state reported' : state}</Table.Td>
                    <Table.Td>{count}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Stack>
        )}
      </Modal>
    </EntityListPage>
  );
}
