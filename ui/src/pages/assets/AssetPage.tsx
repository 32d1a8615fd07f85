import { Alert, Anchor, Badge, Breadcrumbs, Button, Group, Loader, Paper, SimpleGrid, Stack, Tabs, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { assetInfo, assignAsset, unassignAsset, type AssetInfo } from '../../api/assets';
import { describeError } from '../../api/errors';
import type { EntityId } from '../../api/types';
import { useUser } from '../../auth/session';
import { PageHeader } from '../../components/PageHeader';
import { formatTime } from '../../lib/format';
import { AlarmTable } from '../alarms/AlarmTable';
import { AttributesTab } from '../devices/AttributesTab';
import { AuditTab } from '../devices/AuditTab';
import { RelationsTab } from '../devices/RelationsTab';
import { TelemetryTab } from '../devices/TelemetryTab';
import { AssetFormModal } from './AssetFormModal';
import { AssignOwnerModal } from './AssignOwnerModal';
import { EventsTab } from './EventsTab';
import { SectionGuard } from '../../layout/SectionGuard';

const TABS = [
  { value: 'details', label: 'Details' },
  { value: 'attributes', label: 'Attributes' },
  { value: 'telemetry', label: 'Latest telemetry' },
  { value: 'alarms', label: 'Alarms' },
  { value: 'relations', label: 'Relations' },
  { value: 'events', label: 'Events' },
  { value: 'audit', label: 'Audit log' },
] as const;

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Stack gap={2}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text size="sm" className="mono">
        {children || '—'}
      </Text>
    </Stack>
  );
}

/** One asset: details, attributes, latest telemetry, alarms, relations, audit log. */
export function AssetPage() {
  return (
    <SectionGuard section="assets">
      <AssetPageContent />
    </SectionGuard>
  );
}

function AssetPageContent() {
  const { assetId = '', tab = 'details' } = useParams();
  const navigate = useNavigate();
  const user = useUser();
  const admin = user.authority === 'TENANT_ADMIN';
  const [asset, setAsset] = useState<AssetInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);
  const [assigning, setAssigning] = useState(false);

  const reload = useCallback(() => {
    assetInfo(assetId)
      .then(setAsset)
      .catch((e: unknown) => setError(describeError(e)));
  }, [assetId]);
  useEffect(reload, [reload]);

  if (error) return <Alert color="red">{error}</Alert>;
  if (!asset) return <Loader m="xl" />;
  const entity: EntityId = { entityType: 'ASSET', id: assetId };
  const visible = TABS.filter((t) => t.value !== 'audit' || admin);
  const current = visible.some((t) => t.value === tab) ? tab : 'details';

  return (
    <>
      <Breadcrumbs mb="xs">
        <Anchor component={Link} to="/assets" size="sm">
          Assets
        </Anchor>
        <Text size="sm">{asset.name}</Text>
      </Breadcrumbs>
      <PageHeader
        title={asset.name}
        subtitle={
          <Group gap="xs" component="span">
            <Badge variant="light" color="teal">{asset.assetProfileName ?? asset.type}</Badge>
            {asset.label && <span>{asset.label}</span>}
            {asset.customerTitle && <span>· {asset.customerTitle}</span>}
          </Group>
        }
      />
      <Paper withBorder radius="md">
        <Tabs value={current} onChange={(v) => v && navigate(`/assets/${assetId}/${v}`, { replace: true })} keepMounted={false}>
          <Tabs.List style={{ flexWrap: 'nowrap', overflowX: 'auto', overflowY: 'hidden' }}>
            {visible.map((t) => (
              <Tabs.Tab key={t.value} value={t.value} style={{ whiteSpace: 'nowrap' }}>
                {t.label}
              </Tabs.Tab>
            ))}
          </Tabs.List>
          <Tabs.Panel value="details" p="md">
            <Stack>
              <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }} spacing="lg">
                <Field label="Name">{asset.name}</Field>
                <Field label="Label">{asset.label}</Field>
                <Field label="Profile">{asset.assetProfileName ?? asset.type}</Field>
                <Field label="Customer">{asset.customerTitle}</Field>
                <Field label="Created">{formatTime(asset.createdTime)}</Field>
                <Field label="Asset id">{asset.id?.id}</Field>
                <Field label="Description">{asset.additionalInfo?.description}</Field>
              </SimpleGrid>
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
          </Tabs.Panel>
          <Tabs.Panel value="attributes" p="md">
            <AttributesTab entity={entity} />
          </Tabs.Panel>
          <Tabs.Panel value="telemetry" p="md">
            <TelemetryTab entity={entity} />
          </Tabs.Panel>
          <Tabs.Panel value="alarms" p="md">
            <AlarmTable entity={entity} />
          </Tabs.Panel>
          <Tabs.Panel value="relations" p="md">
            <RelationsTab entity={entity} />
          </Tabs.Panel>
          <Tabs.Panel value="events" p="md">
            <EventsTab entity={entity} />
          </Tabs.Panel>
          {admin && (
            <Tabs.Panel value="audit" p="md">
              <AuditTab entity={entity} />
            </Tabs.Panel>
          )}
        </Tabs>
      </Paper>
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
  );
}
