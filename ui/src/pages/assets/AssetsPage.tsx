import { Badge, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconUserShare } from '@tabler/icons-react';
import { useCallback, useState } from 'react';
import { useNavigate } from 'react-router';
import { assetInfos, assignAsset, deleteAsset, unassignAsset, type Asset, type AssetInfo } from '../../api/assets';
import { useUser } from '../../auth/session';
import type { Column } from '../../components/DataTable';
import { usePaged } from '../../components/usePaged';
import { SectionGuard } from '../../layout/SectionGuard';
import { formatTime } from '../../lib/format';
import type { PageLink } from '../../lib/pageLink';
import { EntityListPage } from '../EntityListPage';
import { AssetFormModal } from './AssetFormModal';
import { AssignOwnerModal } from '../../components/AssignOwnerModal';

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

  const columns: Column<AssetInfo>[] = [
    { key: 'name', label: 'Name', sort: 'name', render: (a) => <Text size="sm" fw={600}>{a.name}</Text> },
    { key: 'type', label: 'Profile', sort: 'type', render: (a) => <Badge variant="light" color="teal">{a.assetProfileName ?? a.type}</Badge> },
    { key: 'label', label: 'Label', sort: 'label', render: (a) => <Text size="sm">{a.label}</Text> },
    ...(admin ? [{ key: 'customer', label: 'Customer', sort: 'customerTitle', render: (a: AssetInfo) => <Text size="sm">{a.customerTitle ?? ''}</Text> }] : []),
    { key: 'created', label: 'Created', sort: 'createdTime', render: (a) => <Text size="sm" c="dimmed">{formatTime(a.createdTime)}</Text> },
  ];

  return (
    <EntityListPage
      title="Assets"
      subtitle="Buildings, lines and machines"
      paged={paged}
      columns={columns}
      rowKey={(a) => a.id!.id}
      name={(a) => a.name}
      onRowClick={(a) => navigate(`/assets/${a.id!.id}`)}
      searchPlaceholder="Search by name or label"
      emptyText="No assets"
      minWidth={720}
      add={admin ? { label: 'Add asset', onClick: () => setEditing(null) } : undefined}
      edit={admin ? setEditing : undefined}
      rowActions={admin ? [{ tooltip: 'Assign to customer', label: (a) => `Assign ${a.name}`, icon: <IconUserShare size={16} />, onClick: setAssigning }] : []}
      remove={admin ? { confirm: (a) => `Delete asset "${a.name}"?`, run: (a) => deleteAsset(a.id!.id) } : undefined}
    >
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
    </EntityListPage>
  );
}
