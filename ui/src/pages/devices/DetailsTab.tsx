import { Button, Group, Stack } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import type { DeviceInfo } from '../../api/types';
import { useUser } from '../../auth/session';
import { Field, FieldGrid } from '../../components/Field';
import { formatTime } from '../../lib/format';
import { devicePermissions } from '../../lib/navigation';
import { DeviceFormModal } from './DeviceFormModal';

export function DetailsTab({ device, onSaved }: { device: DeviceInfo; onSaved: () => void }) {
  const can = devicePermissions(useUser().authority);
  const [editing, setEditing] = useState(false);
  return (
    <Stack>
      <FieldGrid>
        <Field label="Name">{device.name}</Field>
        <Field label="Label">{device.label}</Field>
        <Field label="Profile">{device.deviceProfileName ?? device.type}</Field>
        <Field label="Customer">{device.customerTitle}</Field>
        <Field label="Created">{formatTime(device.createdTime)}</Field>
        <Field label="Device id" mono>{device.id?.id}</Field>
        <Field label="Description">{device.additionalInfo?.description}</Field>
      </FieldGrid>
      {can.edit && (
        <Group>
          <Button variant="light" onClick={() => setEditing(true)}>
            Edit
          </Button>
        </Group>
      )}
      <DeviceFormModal
        opened={editing}
        device={device}
        onClose={() => setEditing(false)}
        onSaved={() => {
          setEditing(false);
          notifications.show({ color: 'green', message: 'Saved' });
          onSaved();
        }}
      />
    </Stack>
  );
}
