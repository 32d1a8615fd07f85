import { Button, Group, SimpleGrid, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState, type ReactNode } from 'react';
import type { DeviceInfo } from '../../api/types';
import { useUser } from '../../auth/session';
import { formatTime } from '../../lib/format';
import { devicePermissions } from '../../lib/navigation';
import { DeviceFormModal } from './DeviceFormModal';

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

export function DetailsTab({ device, onSaved }: { device: DeviceInfo; onSaved: () => void }) {
  const can = devicePermissions(useUser().authority);
  const [editing, setEditing] = useState(false);
  return (
    <Stack>
      <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }} spacing="lg">
        <Field label="Name">{device.name}</Field>
        <Field label="Label">{device.label}</Field>
        <Field label="Profile">{device.deviceProfileName ?? device.type}</Field>
        <Field label="Customer">{device.customerTitle}</Field>
        <Field label="Created">{formatTime(device.createdTime)}</Field>
        <Field label="Device id">{device.id?.id}</Field>
        <Field label="Description">{device.additionalInfo?.description}</Field>
      </SimpleGrid>
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
