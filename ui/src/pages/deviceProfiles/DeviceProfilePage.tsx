import { Alert, Anchor, Badge, Breadcrumbs, Button, Group, List, Loader, Paper, Stack, Tabs, Text, TextInput, Textarea } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useCallback, useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { deviceProfile, saveDeviceProfile, type DeviceProfile, type TransportConfiguration } from '../../api/deviceProfiles';
import { describeError } from '../../api/errors';
import { PageHeader } from '../../components/PageHeader';
import { formToRules, rulesToForm, validateAlarms, type AlarmForm, type AlarmWire } from '../../lib/alarmRules';
import type { OtaRef } from '../ota/firmware';
import { ProfileFirmwareStatus } from '../ota/ProfileFirmwareStatus';
import { AlarmRulesEditor } from './AlarmRulesEditor';
import { TransportEditor } from './TransportEditor';
import { SectionGuard } from '../../layout/SectionGuard';

const TABS = ['details', 'transport', 'alarms', 'json', 'firmware'] as const;
const TAB_LABEL: Record<(typeof TABS)[number], string> = {
  details: 'Details',
  transport: 'Transport',
  alarms: 'Alarm rules',
  json: 'Alarm rules JSON',
  firmware: 'Firmware',
};

type OtaProfile = DeviceProfile & { firmwareId?: OtaRef; softwareId?: OtaRef };

/** One device profile: details, transport settings and the alarm-rules editor, saved together. */
export function DeviceProfilePage() {
  return (
    <SectionGuard section="deviceProfiles">
      <DeviceProfilePageContent />
    </SectionGuard>
  );
}

function DeviceProfilePageContent() {
  const { profileId = '', tab = 'details' } = useParams();
  const navigate = useNavigate();
  const [profile, setProfile] = useState<DeviceProfile | null>(null);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [transport, setTransport] = useState<TransportConfiguration>({ type: 'DEFAULT' });
  const [alarms, setAlarms] = useState<AlarmForm[]>([]);
  const [generation, setGeneration] = useState(0);
  const [json, setJson] = useState('');
  const [jsonError, setJsonError] = useState<string | null>(null);
  const [problems, setProblems] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const show = useCallback((p: DeviceProfile) => {
    setProfile(p);
    setName(p.name);
    setDescription(p.description ?? '');
    setTransport(p.profileData?.transportConfiguration ?? { type: 'DEFAULT' });
    setAlarms(rulesToForm(p.profileData?.alarms));
    setGeneration((g) => g + 1);
  }, []);

  useEffect(() => {
    deviceProfile(profileId)
      .then(show)
      .catch((e: unknown) => setError(describeError(e)));
  }, [profileId, show]);

  const current = (TABS as readonly string[]).includes(tab) ? tab : 'details';
  useEffect(() => {
    if (current === 'json') {
      setJson(JSON.stringify(formToRules(alarms), null, 2));
      setJsonError(null);
    }
    // Only when the JSON tab opens: typing there must not be overwritten.
  }, [current]);

  function applyJson(): boolean {
    try {
      const parsed = JSON.parse(json || 'null') as unknown;
      if (parsed !== null && !Array.isArray(parsed)) throw new Error('Alarm rules must be a list (or null)');
      setAlarms(rulesToForm(parsed as AlarmWire[] | null));
      setGeneration((g) => g + 1);
      setJsonError(null);
      return true;
    } catch (e) {
      setJsonError(describeError(e));
      return false;
    }
  }

  async function save() {
    if (!profile) return;
    if (current === 'json' && !applyJson()) return;
    const found = validateAlarms(alarms);
    setProblems(found);
    if (found.length) return;
    setBusy(true);
    try {
      const saved = await saveDeviceProfile({
        ...profile,
        name: name.trim(),
        description: description.trim() || null,
        transportType: transport.type,
        profileData: { ...profile.profileData, transportConfiguration: transport, alarms: formToRules(alarms) },
      });
      show(saved);
      notifications.show({ color: 'green', message: `Saved ${saved.name}` });
    } catch (e) {
      notifications.show({ color: 'red', message: describeError(e) });
    } finally {
      setBusy(false);
    }
  }

  if (error) return <Alert color="red">{error}</Alert>;
  if (!profile) return <Loader m="xl" />;
  return (
    <>
      <Breadcrumbs mb="xs">
        <Anchor component={Link} to="/device-profiles" size="sm">
          Device profiles
        </Anchor>
        <Text size="sm">{profile.name}</Text>
      </Breadcrumbs>
      <PageHeader
        title={profile.name}
        subtitle={
          <Group gap="xs" component="span">
            <Badge variant="light">{transport.type}</Badge>
            {profile.default && <Badge variant="light" color="teal">default</Badge>}
            <span>{alarms.length} alarm rule{alarms.length === 1 ? '' : 's'}</span>
          </Group>
        }
        actions={
          <Button onClick={save} loading={busy} disabled={!name.trim()}>
            Save profile
          </Button>
        }
      />
      {problems.length > 0 && (
        <Alert color="red" mb="md" title="Alarm rules are incomplete" data-testid="rule-problems">
          <List size="sm">
            {problems.map((p) => (
              <List.Item key={p}>{p}</List.Item>
            ))}
          </List>
        </Alert>
      )}
      <Paper withBorder radius="md">
        <Tabs
          value={current}
          keepMounted={false}
          onChange={(v) => {
            if (!v) return;
            if (current === 'json' && v !== 'json' && !applyJson()) return;
            navigate(`/device-profiles/${profileId}/${v}`, { replace: true });
          }}
        >
          <Tabs.List style={{ flexWrap: 'nowrap', overflowX: 'auto', overflowY: 'hidden' }}>
            {TABS.map((t) => (
              <Tabs.Tab key={t} value={t} style={{ whiteSpace: 'nowrap' }}>
                {TAB_LABEL[t]}
              </Tabs.Tab>
            ))}
          </Tabs.List>
          <Tabs.Panel value="details" p="md">
            <Stack maw={560}>
              <TextInput label="Name" required value={name} onChange={(e) => setName(e.currentTarget.value)} />
              <Textarea label="Description" autosize minRows={2} value={description} onChange={(e) => setDescription(e.currentTarget.value)} />
            </Stack>
          </Tabs.Panel>
          <Tabs.Panel value="transport" p="md">
            <TransportEditor value={transport} onChange={setTransport} />
          </Tabs.Panel>
          <Tabs.Panel value="alarms" p="md">
            <AlarmRulesEditor key={generation} alarms={alarms} onChange={setAlarms} />
          </Tabs.Panel>
          <Tabs.Panel value="firmware" p="md">
            <ProfileFirmwareStatus
              profileId={profileId}
              assigned={{ FIRMWARE: (profile as OtaProfile).firmwareId ?? null, SOFTWARE: (profile as OtaProfile).softwareId ?? null }}
              onAssign={(type, ref) => setProfile({ ...profile, [type === 'FIRMWARE' ? 'firmwareId' : 'softwareId']: ref } as DeviceProfile)}
            />
          </Tabs.Panel>
          <Tabs.Panel value="json" p="md">
            <Stack>
              <Text size="sm" c="dimmed">
                `profileData.alarms` as stored (spec §6.1). Edits apply when you leave this tab or save.
              </Text>
              {jsonError && <Alert color="red">{jsonError}</Alert>}
              <Textarea
                aria-label="Alarm rules JSON"
                autosize
                minRows={12}
                maxRows={40}
                styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 12 } }}
                value={json}
                onChange={(e) => setJson(e.currentTarget.value)}
              />
            </Stack>
          </Tabs.Panel>
        </Tabs>
      </Paper>
    </>
  );
}
