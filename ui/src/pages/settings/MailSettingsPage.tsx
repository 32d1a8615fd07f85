import { Alert, Button, Checkbox, Group, Loader, NumberInput, Paper, PasswordInput, SegmentedControl, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useEffect, useState, type FormEvent } from 'react';
import { mailSettings, saveMailSettings, sendTestMail, type MailSettings } from '../../api/adminSettings';
import { describeError } from '../../api/errors';
import { PageHeader } from '../../components/PageHeader';
import { useTask } from '../../components/useTask';
import { SectionGuard } from '../../layout/SectionGuard';

export function MailSettingsPage() {
  return (
    <SectionGuard section="settings">
      <MailSettingsContent />
    </SectionGuard>
  );
}

interface Form {
  mailFrom: string;
  smtpProtocol: 'smtp' | 'smtps';
  smtpHost: string;
  smtpPort: number | string;
  timeout: number | string;
  enableTls: boolean;
  username: string;
  password: string;
}

function toForm(s: MailSettings): Form {
  return {
    mailFrom: s.mailFrom ?? '',
    smtpProtocol: s.smtpProtocol === 'smtps' ? 'smtps' : 'smtp',
    smtpHost: s.smtpHost ?? '',
    smtpPort: s.smtpPort ?? 25,
    timeout: s.timeout ?? 10000,
    enableTls: Boolean(s.enableTls),
    username: s.username ?? '',
    password: '',
  };
}

/** The system's outgoing mail server; the stored password is never shown, empty keeps it. */
function MailSettingsContent() {
  const [stored, setStored] = useState<MailSettings | null>(null);
  const [form, setForm] = useState<Form | null>(null);
  const [error, setError] = useState<string | null>(null);
  const saving = useTask(setError);
  const testing = useTask(setError);

  useEffect(() => {
    mailSettings()
      .then((s) => {
        setStored(s);
        setForm(toForm(s));
      })
      .catch((e: unknown) => setError(describeError(e)));
  }, []);

  function settingsOf(current: Form, base: MailSettings): MailSettings {
    const { password, ...rest } = current;
    const body: MailSettings = {
      ...base,
      ...rest,
      smtpHost: rest.smtpHost.trim(),
      mailFrom: rest.mailFrom.trim(),
      username: rest.username.trim(),
      smtpPort: Number(rest.smtpPort),
      timeout: Number(rest.timeout),
    };
    if (password) body.password = password;
    return body;
  }

  function sendTest() {
    if (!form || !stored) return;
    void testing.run(async () => {
      await sendTestMail(settingsOf(form, stored));
      notifications.show({ color: 'green', message: 'Test mail sent to your address' });
    });
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!form || !stored) return;
    void saving.run(async () => {
      const saved = await saveMailSettings(settingsOf(form, stored));
      setStored(saved);
      setForm(toForm(saved));
      notifications.show({ color: 'green', message: 'Mail settings saved' });
    });
  }

  const set = <K extends keyof Form>(key: K, value: Form[K]) => form && setForm({ ...form, [key]: value });

  return (
    <>
      <PageHeader title="Mail settings" subtitle="The SMTP server the platform sends mail through" />
      {error && (
        <Alert color="red" variant="light" mb="md">
          {error}
        </Alert>
      )}
      {!form && !error && <Loader m="xl" />}
      {form && (
        <Paper withBorder radius="md" p="md" maw={720}>
          <form onSubmit={submit}>
            <Stack>
              <TextInput label="Mail from" required value={form.mailFrom} onChange={(e) => set('mailFrom', e.currentTarget.value)} />
              <SegmentedControl
                aria-label="SMTP protocol"
                data={[
                  { value: 'smtp', label: 'SMTP' },
                  { value: 'smtps', label: 'SMTPS' },
                ]}
                value={form.smtpProtocol}
                onChange={(v) => set('smtpProtocol', v === 'smtps' ? 'smtps' : 'smtp')}
              />
              <SimpleGrid cols={{ base: 1, sm: 2 }}>
                <TextInput label="SMTP host" required value={form.smtpHost} onChange={(e) => set('smtpHost', e.currentTarget.value)} />
                <NumberInput label="SMTP port" required min={1} max={65535} allowDecimal={false} value={form.smtpPort} onChange={(v) => set('smtpPort', v)} />
                <NumberInput label="Timeout (ms)" min={0} allowDecimal={false} value={form.timeout} onChange={(v) => set('timeout', v)} />
              </SimpleGrid>
              <Checkbox label="Enable TLS (STARTTLS)" checked={form.enableTls} onChange={(e) => set('enableTls', e.currentTarget.checked)} />
              <SimpleGrid cols={{ base: 1, sm: 2 }}>
                <TextInput label="Username" autoComplete="off" value={form.username} onChange={(e) => set('username', e.currentTarget.value)} />
                <PasswordInput
                  label="Password"
                  autoComplete="new-password"
                  placeholder="Unchanged"
                  value={form.password}
                  onChange={(e) => set('password', e.currentTarget.value)}
                />
              </SimpleGrid>
              <Text size="xs" c="dimmed">
                The stored password is never shown; leave it empty to keep it.
              </Text>
              <Group justify="flex-end">
                <Button variant="light" loading={testing.busy} disabled={!form.smtpHost.trim() || !form.mailFrom.trim()} onClick={sendTest}>
                  Send test mail
                </Button>
                <Button type="submit" loading={saving.busy} disabled={!form.smtpHost.trim() || !form.mailFrom.trim()}>
                  Save
                </Button>
              </Group>
            </Stack>
          </form>
        </Paper>
      )}
    </>
  );
}
