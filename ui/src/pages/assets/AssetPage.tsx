import { Badge, Button, Group, Stack } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { useParams } from 'react-router';
import { assetInfo, assignAsset, unassignAsset, type AssetInfo } from '../../api/assets';
import type { EntityId } from '../../api/types';
import { useUser } from '../../auth/session';
import { EntityDetailPage } from '../../components/EntityDetailPage';
import { Field, FieldGrid } from '../../components/Field';
import { commonTabs } from '../../components/entity/commonTabs';
import { SectionGuard } from '../../layout/SectionGuard';
import { formatTime } from '../../lib/format';
import { AssetFormModal } from './AssetFormModal';
import { AssignOwnerModal } from '../../components/AssignOwnerModal';

/** One asset: details, attributes, latest telemetry, alarms, relations, events, audit log. */
export function AssetPage() {
  return (
    <SectionGuard section="assets">
      <AssetPageContent />
    </SectionGuard>
  );
}

function AssetPageContent() {
  const { assetId = '' } = useParams();
  const user = useUser();
  const admin = user.authority === 'TENANT_ADMIN';
  const [editing, setEditing] = useState(false);
  const [assigning, setAssigning] = useState(false);
  const entity: EntityId = { entityType: 'ASSET', id: assetId };

  return (
    <EntityDetailPage<AssetInfo>
      id={assetId}
      load={assetInfo}
      basePath={`/assets/${assetId}`}
      list={{ label: 'Assets', path: '/assets' }}
      title={(a) => a.name}
      subtitle={(a) => (
        <Group gap="xs" component="span">
          <Badge variant="light" color="teal">{a.assetProfileName ?? a.type}</Badge>
          {a.label && <span>{a.label}</span>}
          {a.customerTitle && <span>· {a.customerTitle}</span>}
        </Group>
      )}
      tabs={({ entity: asset }) => [
        {
          value: 'details',
          label: 'Details',
          render: () => (
            <Stack>
              <FieldGrid>
                <Field label="Name">{asset.name}</Field>
                <Field label="Label">{asset.label}</Field>
                <Field label="Profile">{asset.assetProfileName ?? asset.type}</Field>
                <Field label="Customer">{asset.customerTitle}</Field>
                <Field label="Created">{formatTime(asset.createdTime)}</Field>
                <Field label="Asset id" mono>{asset.id?.id}</Field>
                <Field label="Description">{asset.additionalInfo?.description}</Field>
              </FieldGrid>
              {admin && (
                <Group>
                  <Button variant="light" onClick={() => setEditing(true)}>
                    Edit
                  </Button>
                  <Button variant="default" onClick={() => setAssigning(true)}>
                    Assign to customer
                  </Button>
                </Group>
              )}
            </Stack>
          ),
        },
        ...commonTabs(entity, user.authority),
      ]}
    >
      {({ entity: asset, reload }) => (
        <>
          <AssetFormModal
            opened={editing}
            asset={asset}
            onClose={() => setEditing(false)}
            onSaved={() => {
              setEditing(false);
              notifications.show({ color: 'green', message: 'Saved' });
              reload();
            }}
          />
          <AssignOwnerModal
            entity={assigning ? asset : null}
            assign={(customerId) => assignAsset(assetId, customerId)}
            unassign={() => unassignAsset(assetId)}
            onClose={() => setAssigning(false)}
            onDone={() => {
              setAssigning(false);
              reload();
            }}
          />
        </>
      )}
    </EntityDetailPage>
  );
}
