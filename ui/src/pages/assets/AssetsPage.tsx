import { ActionIcon, Badge, Button, Group, Text, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPencil, IconPlus, IconTrash, IconUserShare } from '@tabler/icons-react';
import { useCallback, useState } from 'react';
import { useNavigate } from 'react-router';
import { assetInfos, assignAsset, deleteAsset, unassignAsset, type Asset, type AssetInfo } from '../../api/assets';
import { describeError } from '../../api/errors';
import { useUser } from '../../auth/session';
import { confirmAction } from '../../components/confirm';
import { DataTable, type Column } from '../../components/DataTable';
import { PageHeader } from '../../components/PageHeader';
import { usePaged } from '../../components/usePaged';
import { formatTime } from '../../lib/format';
import type { PageLink } from '../../lib/pageLink';
import { AssetFormModal } from './AssetFormModal';
import { AssignOwnerModal } from './AssignOwnerModal';
import { SectionGuard } from '../../layout/SectionGuard';

export function AssetsPage() {
  return (
    <SectionGuard section="assets">
      <AssetsPageContent />
    </SectionGuard>
  );
}

function AssetsPageContent() {
  const user = useUser();
  const admin = user.authority === 'TENANT_ADMIN';
  const navigate = useNavigate();
  const load = useCallback((link: PageLink) => assetInfos(user, link), [user]);
  const paged = usePaged<AssetInfo>(load);
  const [editing, setEditing] = useState<Asset | null | undefined>(undefined);
  const [assigning, setAssigning] = useState<AssetInfo | null>(null);

  async function remove(asset: AssetInfo) {
    if (!confirmAction(`Delete asset "${asset.name}"?`)) return;
    try {
      await deleteAsset(asset.id!.id);
      notifications.show({ color: 'green', message: `Deleted ${asset.name}` });
      paged.reload();
    } catch (e) {
      notifications.show({ color: 'red', message: describeError(e) });
    }
  }

  const columns: Column<AssetInfo>[] = [
    { key: 'name', label: 'Name', sort: 'name', render: (a) => <Text size="sm" fw={600}>{a.name}</Text> },
    { key: 'type', label: 'Profile', sort: 'type', render: (a) => <Badge variant="light" color="teal">{a.assetProfileName ?? a.type}</Badge> },
    { key: 'label', label: 'Label', sort: 'label', render: (a) => <Text size="sm">{a.label}</Text> },
    ...(admin ? [{ key: 'customer', label: 'Customer', sort: 'customerTitle', render: (a: AssetInfo) => <Text size="sm">{a.customerTitle ?? ''}</Text> }] : []),
    { key: 'created', label: 'Created', sort: 'createdTime', render: (a) => <Text size="sm" c="dimmed">{formatTime(a.createdTime)}</Text> },
  ];

  return (
    <>
      <PageHeader title="Assets" subtitle="Buildings, lines and machines" />
      <DataTable
        paged={paged}
        columns={columns}
        rowKey={(a) => a.id!.id}
        onRowClick={(a) => navigate(`/assets/${a.id!.id}`)}
        searchPlaceholder="Search by name or label"
        emptyText="No assets"
        minWidth={720}
        toolbar={
          admin && (
            <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing(null)}>
              Add asset
            </Button>
          )
        }
        actions={
          admin
            ? (a) => (
                <Group gap={4} wrap="nowrap">
                  <Tooltip label="Edit">
                    <ActionIcon variant="subtle" aria-label={`Edit ${a.name}`} onClick={() => setEditing(a)}>
                      <IconPencil size={16} />
                    </ActionIcon>
                  </Tooltip>
                  <Tooltip label="Assign to customer">
                    <ActionIcon variant="subtle" aria-label={`Assign ${a.name}`} onClick={() => setAssigning(a)}>
                      <IconUserShare size={16} />
                    </ActionIcon>
                  </Tooltip>
                  <Tooltip label="Delete">
                    <ActionIcon variant="subtle" color="red" aria-label={`Delete ${a.name}`} onClick={() => remove(a)}>
                      <IconTrash size={16} />
                    </ActionIcon>
                  </Tooltip>
                </Group>
              )
            : undefined
        }
      />
      <AssetFormModal
        opened={editing !== undefined}
        asset={editing}
        onClose={() => setEditing(undefined)}
        onSaved={(saved) => {
          setEditing(undefined);
          notifications.show({ color: 'green', message: `Saved ${saved.name}` });
          paged.reload();
        }}
      />
      <AssignOwnerModal
        entity={assigning}
        assign={(customerId) => assignAsset(assigning!.id!.id, customerId)}
        unassign={() => unassignAsset(assigning!.id!.id)}
        onClose={() => setAssigning(null)}
        onDone={() => {
          setAssigning(null);
          paged.reload();
        }}
      />
    </>
  );
}
