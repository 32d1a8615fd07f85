import { Alert, Badge, Group, Paper, Select, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { describeError } from '../../api/errors';
import { assignablePackages, OTA_STEPS, otaProgress, type OtaRef } from './firmware';
import { PACKAGE_TYPES, profileStatus, type OtaPackageInfo, type PackageType, type ProfileStatus } from './otaApi';

const LABEL: Record<PackageType, string> = { FIRMWARE: 'Firmware', SOFTWARE: 'Software' };
const NONE = '';
/** Display order of the states: the update path, then failure, then never reported. */
const ORDER = [...OTA_STEPS, 'FAILED', 'NONE'];

function KindStatus(props: { profileId: string; type: PackageType; assigned: OtaRef; onAssign: (ref: OtaRef) => void }) {
  const { profileId, type } = props;
  const [counts, setCounts] = useState<ProfileStatus | null>(null);
  const [packages, setPackages] = useState<OtaPackageInfo[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    profileStatus(profileId, type)
      .then(setCounts)
      .catch((e: unknown) => setError(describeError(e)));
    assignablePackages(profileId, type)
      .then(setPackages)
      .catch((e: unknown) => setError(describeError(e)));
  }, [profileId, type]);

  const states = counts ? Object.entries(counts.states).sort(([a], [b]) => ORDER.indexOf(a) - ORDER.indexOf(b)) : [];
  return (
    <Paper withBorder radius="md" p="md" data-testid={`profile-ota-${type}`}>
      <Stack gap="sm">
        <Group justify="space-between">
          <Title order={4} size="h5">
            {LABEL[type]}
          </Title>
          {counts && <Text size="sm" c="dimmed">{counts.total} device{counts.total === 1 ? '' : 's'}</Text>}
        </Group>
        {error && (
          <Alert color="red" variant="light">
            {error}
          </Alert>
        )}
        <Select
          label={`${LABEL[type]} package of the profile`}
          description="Devices without a package of their own get this one; saved with the profile."
          allowDeselect={false}
          data={[{ value: NONE, label: 'None' }, ...packages.map((p) => ({ value: p.id!.id, label: `${p.title} ${p.version}` }))]}
          value={props.assigned?.id ?? NONE}
          onChange={(v) => props.onAssign(v ? { entityType: 'OTA_PACKAGE', id: v } : null)}
        />
        <Table verticalSpacing={4} data-testid={`profile-ota-${type}-counts`}>
          <Table.Tbody>
            {states.map(([state, count]) => {
              const progress = otaProgress(state === 'NONE' ? null : state);
              return (
                <Table.Tr key={state} data-state={state}>
                  <Table.Td>
                    <Badge variant="light" color={progress.color}>
                      {state === 'NONE' ? 'No state reported' : progress.label}
                    </Badge>
                  </Table.Td>
                  <Table.Td ta="right" fw={600}>
                    {count}
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Stack>
    </Paper>
  );
}

/** A device profile's packages and how many of its devices are in each update state. */
export function ProfileFirmwareStatus(props: { profileId: string; assigned: Record<PackageType, OtaRef>; onAssign: (type: PackageType, ref: OtaRef) => void }) {
  return (
    <SimpleGrid cols={{ base: 1, md: 2 }}>
      {PACKAGE_TYPES.map((type) => (
        <KindStatus key={type} profileId={props.profileId} type={type} assigned={props.assigned[type]} onAssign={(ref) => props.onAssign(type, ref)} />
      ))}
    </SimpleGrid>
  );
}
