import { Alert, Badge, Button, Group, Paper, Progress, Select, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useCallback, useEffect, useState } from 'react';
import { saveDevice } from '../../api/devices';
import { describeError } from '../../api/errors';
import { api } from '../../api/instance';
import type { Device, DeviceInfo, LatestTelemetry } from '../../api/types';
import { Field, FieldGrid } from '../../components/Field';
import { formatTime } from '../../lib/format';
import { mergeLatest } from '../../live/latest';
import { liveLatest } from '../../live/sources';
import { assignablePackages, assignmentSource, deviceOtaStatus, otaProgress, withTelemetry, type DeviceOtaStatus, type OtaRef } from './firmware';
import { PACKAGE_TYPES, type OtaPackageInfo, type PackageType } from './otaApi';

type OtaDevice = Device & { firmwareId?: OtaRef; softwareId?: OtaRef };

const FIELD: Record<PackageType, 'firmwareId' | 'softwareId'> = { FIRMWARE: 'firmwareId', SOFTWARE: 'softwareId' };
const LABEL: Record<PackageType, string> = { FIRMWARE: 'Firmware', SOFTWARE: 'Software' };
/** The Select's value for "no package of the device's own". */
const FROM_PROFILE = '';

const packageLabel = (p: OtaPackageInfo) => `${p.title} ${p.version}`;

function KindCard(props: { type: PackageType; device: OtaDevice; status: DeviceOtaStatus; latest: LatestTelemetry; canAssign: boolean; onAssigned: () => void }) {
  const { type, device } = props;
  const status = withTelemetry(props.status[type], type, props.latest);
  const ownId = device[FIELD[type]]?.id ?? null;
  const source = assignmentSource(ownId, status.package);
  const progress = otaProgress(status.state);
  const [options, setOptions] = useState<OtaPackageInfo[]>([]);
  const [choice, setChoice] = useState<string>(ownId ?? FROM_PROFILE);
  const [busy, setBusy] = useState(false);
  const profileId = device.deviceProfileId?.id;

  useEffect(() => {
    if (!props.canAssign || !profileId) return;
    assignablePackages(profileId, type)
      .then(setOptions)
      .catch(() => setOptions([]));
  }, [props.canAssign, profileId, type]);

  async function assign() {
    setBusy(true);
    try {
      const stored = await api.get<OtaDevice>(`/api/device/${device.id!.id}`);
      const ref: OtaRef = choice ? { entityType: 'OTA_PACKAGE', id: choice } : null;
      await saveDevice({ ...stored, [FIELD[type]]: ref } as Device);
      notifications.show({ color: 'green', message: `${LABEL[type]} assignment saved` });
      props.onAssigned();
    } catch (e) {
      notifications.show({ color: 'red', message: describeError(e) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <Paper withBorder radius="md" p="md" data-testid={`ota-${type}`}>
      <Stack gap="sm">
        <Group justify="space-between">
          <Title order={4} size="h5">
            {LABEL[type]}
          </Title>
          <Badge color={progress.color} variant="light" data-testid={`ota-${type}-state`}>
            {progress.label}
          </Badge>
        </Group>
        <Progress value={progress.percent} color={progress.color} aria-label={`${LABEL[type]} update progress`} />
        <FieldGrid>
          <Field label="Assigned package">
            {status.package ? packageLabel(status.package) : ''}
            {source === 'profile' && ' (from profile)'}
          </Field>
          <Field label="Reported">{[status.currentTitle, status.currentVersion].filter(Boolean).join(' ')}</Field>
          <Field label="Target">{[status.targetTitle, status.targetVersion].filter(Boolean).join(' ')}</Field>
          <Field label="Target since">{status.targetTs ? formatTime(status.targetTs) : ''}</Field>
        </FieldGrid>
        {status.error && (
          <Alert color="red" variant="light">
            {status.error}
          </Alert>
        )}
        {props.canAssign && (
          <Group align="flex-end" gap="xs">
            <Select
              label={`${LABEL[type]} package`}
              style={{ flex: '1 1 220px' }}
              allowDeselect={false}
              data={[{ value: FROM_PROFILE, label: "The profile's package" }, ...options.map((p) => ({ value: p.id!.id, label: packageLabel(p) }))]}
              value={choice}
              onChange={(v) => setChoice(v ?? FROM_PROFILE)}
            />
            <Button variant="light" loading={busy} disabled={choice === (ownId ?? FROM_PROFILE)} onClick={() => void assign()}>
              Assign
            </Button>
          </Group>
        )}
      </Stack>
    </Paper>
  );
}

/** The device's firmware and software: package (its own or its profile's), state, progress; live. */
export function DeviceFirmwarePanel({ device, canAssign, onAssigned }: { device: DeviceInfo; canAssign: boolean; onAssigned: () => void }) {
  const deviceId = device.id!.id;
  const [status, setStatus] = useState<DeviceOtaStatus | null>(null);
  const [latest, setLatest] = useState<LatestTelemetry>({});
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(() => {
    deviceOtaStatus(deviceId)
      .then(setStatus)
      .catch((e: unknown) => setError(describeError(e)));
  }, [deviceId]);
  useEffect(load, [load]);

  useEffect(() => {
    setLatest({});
    const subscription = liveLatest.subscribe(
      { entityType: 'DEVICE', id: deviceId },
      { onData: (update) => setLatest((current) => mergeLatest(current, update)) },
    );
    return () => subscription.close();
  }, [deviceId]);

  if (error) return <Alert color="red">{error}</Alert>;
  if (!status) return <Text c="dimmed">Loading…</Text>;
  return (
    <SimpleGrid cols={{ base: 1, md: 2 }}>
      {PACKAGE_TYPES.map((type) => (
        <KindCard
          key={type}
          type={type}
          device={device as OtaDevice}
          status={status}
          latest={latest}
          canAssign={canAssign}
          onAssigned={() => {
            load();
            onAssigned();
          }}
        />
      ))}
    </SimpleGrid>
  );
}
