import { Badge, Group } from '@mantine/core';
import { useParams } from 'react-router';
import { deviceInfo } from '../../api/devices';
import type { DeviceInfo, EntityId } from '../../api/types';
import { useUser } from '../../auth/session';
import { EntityDetailPage } from '../../components/EntityDetailPage';
import { commonTabs } from '../../components/entity/commonTabs';
import { devicePermissions } from '../../lib/navigation';
import { DeviceFirmwarePanel } from '../ota/DeviceFirmwarePanel';
import { CredentialsTab } from './CredentialsTab';
import { DetailsTab } from './DetailsTab';

/** One device: details, credentials, firmware, and the tabs every entity has. */
export function DevicePage() {
  const { deviceId = '' } = useParams();
  const user = useUser();
  const entity: EntityId = { entityType: 'DEVICE', id: deviceId };
  return (
    <EntityDetailPage<DeviceInfo>
      id={deviceId}
      load={deviceInfo}
      basePath={`/devices/${deviceId}`}
      list={{ label: 'Devices', path: '/devices' }}
      title={(d) => d.name}
      subtitle={(d) => (
        <Group gap="xs" component="span">
          <Badge variant="light" color="indigo">{d.deviceProfileName ?? d.type}</Badge>
          <Badge variant="dot" color={d.active ? 'green' : 'gray'}>{d.active ? 'Active' : 'Inactive'}</Badge>
          {d.label && <span>{d.label}</span>}
          {d.customerTitle && <span>· {d.customerTitle}</span>}
        </Group>
      )}
      tabs={({ entity: device, reload }) => [
        { value: 'details', label: 'Details', render: () => <DetailsTab device={device} onSaved={reload} /> },
        { value: 'credentials', label: 'Credentials', render: () => <CredentialsTab deviceId={deviceId} /> },
        {
          value: 'firmware',
          label: 'Firmware',
          render: () => <DeviceFirmwarePanel device={device} canAssign={devicePermissions(user.authority).editCredentials} onAssigned={reload} />,
        },
        ...commonTabs(entity, user.authority, { showOriginator: false }),
      ]}
    />
  );
}
