import { Alert, Anchor, Badge, Breadcrumbs, Group, Loader, Paper, Tabs, Text } from '@mantine/core';
import { useCallback, useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { deviceInfo } from '../../api/devices';
import { describeError } from '../../api/errors';
import type { DeviceInfo, EntityId } from '../../api/types';
import { useUser } from '../../auth/session';
import { PageHeader } from '../../components/PageHeader';
import { AlarmTable } from '../alarms/AlarmTable';
import { EventsTab } from '../assets/EventsTab';
import { AttributesTab } from './AttributesTab';
import { AuditTab } from './AuditTab';
import { CredentialsTab } from './CredentialsTab';
import { DetailsTab } from './DetailsTab';
import { RelationsTab } from './RelationsTab';
import { TelemetryTab } from './TelemetryTab';

const TABS = [
  { value: 'details', label: 'Details' },
  { value: 'credentials', label: 'Credentials' },
  { value: 'attributes', label: 'Attributes' },
  { value: 'telemetry', label: 'Latest telemetry' },
  { value: 'alarms', label: 'Alarms' },
  { value: 'relations', label: 'Relations' },
  { value: 'events', label: 'Events' },
  { value: 'audit', label: 'Audit log' },
] as const;

export function DevicePage() {
  const { deviceId = '', tab = 'details' } = useParams();
  const navigate = useNavigate();
  const user = useUser();
  const [device, setDevice] = useState<DeviceInfo | null>(null);
  const [error, setError] = useState<string | null>(null);

  const reload = useCallback(() => {
    deviceInfo(deviceId)
      .then(setDevice)
      .catch((e: unknown) => setError(describeError(e)));
  }, [deviceId]);
  useEffect(reload, [reload]);

  if (error) return <Alert color="red">{error}</Alert>;
  if (!device) return <Loader m="xl" />;
  const entity: EntityId = { entityType: 'DEVICE', id: deviceId };
  const current = TABS.some((t) => t.value === tab) ? tab : 'details';
  const visible = TABS.filter((t) => t.value !== 'audit' || user.authority === 'TENANT_ADMIN');

  return (
    <>
      <Breadcrumbs mb="xs">
        <Anchor component={Link} to="/devices" size="sm">
          Devices
        </Anchor>
        <Text size="sm">{device.name}</Text>
      </Breadcrumbs>
      <PageHeader
        title={device.name}
        subtitle={
          <Group gap="xs" component="span">
            <Badge variant="light" color="indigo">{device.deviceProfileName ?? device.type}</Badge>
            <Badge variant="dot" color={device.active ? 'green' : 'gray'}>{device.active ? 'Active' : 'Inactive'}</Badge>
            {device.label && <span>{device.label}</span>}
            {device.customerTitle && <span>· {device.customerTitle}</span>}
          </Group>
        }
      />
      <Paper withBorder radius="md">
        <Tabs value={current} onChange={(v) => v && navigate(`/devices/${deviceId}/${v}`, { replace: true })} keepMounted={false}>
          <Tabs.List style={{ flexWrap: 'nowrap', overflowX: 'auto', overflowY: 'hidden' }}>
            {visible.map((t) => (
              <Tabs.Tab key={t.value} value={t.value} style={{ whiteSpace: 'nowrap' }}>
                {t.label}
              </Tabs.Tab>
            ))}
          </Tabs.List>
          <Tabs.Panel value="details" p="md">
            <DetailsTab device={device} onSaved={reload} />
          </Tabs.Panel>
          <Tabs.Panel value="credentials" p="md">
            <CredentialsTab deviceId={deviceId} />
          </Tabs.Panel>
          <Tabs.Panel value="attributes" p="md">
            <AttributesTab entity={entity} />
          </Tabs.Panel>
          <Tabs.Panel value="telemetry" p="md">
            <TelemetryTab entity={entity} />
          </Tabs.Panel>
          <Tabs.Panel value="alarms" p="md">
            <AlarmTable entity={entity} showOriginator={false} />
          </Tabs.Panel>
          <Tabs.Panel value="relations" p="md">
            <RelationsTab entity={entity} />
          </Tabs.Panel>
          <Tabs.Panel value="events" p="md">
            <EventsTab entity={entity} />
          </Tabs.Panel>
          {user.authority === 'TENANT_ADMIN' && (
            <Tabs.Panel value="audit" p="md">
              <AuditTab entity={entity} />
            </Tabs.Panel>
          )}
        </Tabs>
      </Paper>
    </>
  );
}
