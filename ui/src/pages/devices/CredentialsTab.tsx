import {
  ActionIcon,
  Alert,
  Button,
  Code,
  CopyButton,
  Group,
  Loader,
  PasswordInput,
  SegmentedControl,
  Stack,
  Text,
  TextInput,
  Textarea,
  Tooltip,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconCheck, IconCopy, IconRefresh } from '@tabler/icons-react';
import { useCallback, useEffect, useState } from 'react';
import { credentials, saveCredentials } from '../../api/devices';
import { describeError } from '../../api/errors';
import type { CredentialsType, DeviceCredentials } from '../../api/types';
import { useUser } from '../../auth/session';
import { credentialsBody, formFrom, generateToken, validate, type CredentialsForm } from '../../lib/credentials';
import { devicePermissions } from '../../lib/navigation';

const TYPES: { value: CredentialsType; label: string }[] = [
  { value: 'ACCESS_TOKEN', label: 'Access token' },
  { value: 'MQTT_BASIC', label: 'MQTT basic' },
  { value: 'X509_CERTIFICATE', label: 'X.509' },
];

function Copy({ value, label }: { value: string; label: string }) {
  return (
    <CopyButton value={value} timeout={1500}>
      {({ copied, copy }) => (
        <Tooltip label={copied ? 'Copied' : label}>
          <ActionIcon variant="light" color={copied ? 'teal' : 'indigo'} onClick={copy} aria-label={label}>
            {copied ? <IconCheck size={16} /> : <IconCopy size={16} />}
          </ActionIcon>
        </Tooltip>
      )}
    </CopyButton>
  );
}

export function CredentialsTab({ deviceId }: { deviceId: string }) {
  const can = devicePermissions(useUser().authority);
  const [creds, setCreds] = useState<DeviceCredentials | null>(null);
  const [form, setForm] = useState<CredentialsForm | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(() => {
    credentials(deviceId)
      .then((c) => {
        setCreds(c);
        setForm(formFrom(c));
      })
      .catch((e: unknown) => setError(describeError(e)));
  }, [deviceId]);
  useEffect(load, [load]);

  if (error && !creds) return <Alert color="red">{error}</Alert>;
  if (!creds || !form) return <Loader />;
  const set = (patch: Partial<CredentialsForm>) => setForm({ ...form, ...patch });
  const problem = validate(form);

  async function save(next: CredentialsForm) {
    setBusy(true);
    setError(null);
    try {
      const saved = await saveCredentials(credentialsBody(creds!, next));
      setCreds(saved);
      setForm(formFrom(saved));
      notifications.show({ color: 'green', message: 'Credentials saved' });
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Stack maw={640}>
      {creds.credentialsType === 'ACCESS_TOKEN' && creds.credentialsId && (
        <Stack gap={4}>
          <Text size="sm" fw={600}>
            Access token
          </Text>
          <Group gap="xs" wrap="nowrap">
            <Code fz="md" px="sm" py={6} data-testid="access-token" className="mono">
              {creds.credentialsId}
            </Code>
            <Copy value={creds.credentialsId} label="Copy access token" />
          </Group>
          <Text size="xs" c="dimmed">
            MQTT: user name = token, topic <Code>v1/devices/me/telemetry</Code>. HTTP:{' '}
            <Code>POST /api/v1/&lt;token&gt;/telemetry</Code>
          </Text>
        </Stack>
      )}
      {!can.editCredentials ? null : (
        <>
          {error && (
            <Alert color="red" variant="light">
              {error}
            </Alert>
          )}
          <SegmentedControl
            data={TYPES}
            value={form.type}
            onChange={(v) => set({ type: v as CredentialsType })}
            aria-label="Credentials type"
          />
          {form.type === 'ACCESS_TOKEN' && (
            <TextInput
              label="Access token"
              value={form.token}
              onChange={(e) => set({ token: e.currentTarget.value })}
              rightSection={
                <Tooltip label="Generate a new token">
                  <ActionIcon variant="subtle" onClick={() => set({ token: generateToken() })} aria-label="Generate token">
                    <IconRefresh size={16} />
                  </ActionIcon>
                </Tooltip>
              }
            />
          )}
          {form.type === 'MQTT_BASIC' && (
            <>
              <TextInput label="Client id" value={form.clientId} onChange={(e) => set({ clientId: e.currentTarget.value })} />
              <TextInput label="User name" value={form.userName} onChange={(e) => set({ userName: e.currentTarget.value })} />
              <PasswordInput label="Password" value={form.password} onChange={(e) => set({ password: e.currentTarget.value })} />
            </>
          )}
          {form.type === 'X509_CERTIFICATE' && (
            <Textarea
              label="Certificate (PEM)"
              autosize
              minRows={4}
              className="mono"
              value={form.certificate}
              onChange={(e) => set({ certificate: e.currentTarget.value })}
            />
          )}
          <Group>
            <Button onClick={() => save(form)} loading={busy} disabled={problem !== null}>
              Save credentials
            </Button>
            <Button
              variant="light"
              leftSection={<IconRefresh size={16} />}
              loading={busy}
              onClick={() => save({ ...form, type: 'ACCESS_TOKEN', token: generateToken() })}
            >
              Regenerate access token
            </Button>
            {problem && (
              <Text size="sm" c="dimmed">
                {problem}
              </Text>
            )}
          </Group>
        </>
      )}
    </Stack>
  );
}
