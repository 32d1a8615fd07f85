import { Alert, Button, Group, Loader, NumberInput, Paper, PasswordInput, SegmentedControl, Select, SimpleGrid, Stack, Text, TextInput, Textarea } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useEffect, useState, type FormEvent } from 'react';
import { describeError } from '../../api/errors';
import { useUser } from '../../auth/session';
import { PageHeader } from '../../components/PageHeader';
import { useTask } from '../../components/useTask';
import { SectionGuard } from '../../layout/SectionGuard';
import {
  fromSmsForm,
  missingFields,
  PROVIDER_LABEL,
  saveSmsSettings,
  sendTestSms,
  SMS_FIELDS,
  SMS_PROVIDERS,
  smsSettings,
  toSmsForm,
  type SmsField,
  type SmsForm,
  type SmsProvider,
  type SmsSettings,
} from './smsSettings';

export function SmsSettingsPage() {
  return (
    <SectionGuard section="smsSettings">
      <SmsSettingsContent />
    </SectionGuard>
  );
}

function FieldInput({ field, value, stored, onChange }: { field: SmsField; value: string; stored: boolean; onChange: (v: string) => void }) {
  if (field.secret)
    return (
      <PasswordInput
        label={field.label}
        autoComplete="new-password"
        placeholder={stored ? 'Unchanged' : undefined}
        required={field.required && !stored}
        value={value}
        onChange={(e) => onChange(e.currentTarget.value)}
      />
    );
  if (field.options)
    return <Select label={field.label} required={field.required} data={[...field.options]} value={value || null} onChange={(v) => onChange(v ?? '')} />;
  if (field.number)
    return <NumberInput label={field.label} required={field.required} allowDecimal={false} min={0} value={value} onChange={(v) => onChange(String(v))} />;
  return <TextInput label={field.label} required={field.required} autoComplete="off" value={value} onChange={(e) => onChange(e.currentTarget.value)} />;
}

/** The SMS provider of the system (sysadmin) or of the tenant; secrets are never shown. */
function SmsSettingsContent() {
  const user = useUser();
  const [stored, setStored] = useState<SmsSettings | null>(null);
  const [form, setForm] = useState<SmsForm | null>(null);
  const [error, setError] = useState<string | null>(null);
  const saving = useTask(setError);
  const testing = useTask(setError);
  const [numberTo, setNumberTo] = useState('');
  const [message, setMessage] = useState('Test message from IndustryOS');

  useEffect(() => {
    smsSettings()
      .then((s) => {
        setStored(s);
        setForm(toSmsForm(s));
      })
      .catch((e: unknown) => setError(describeError(e)));
  }, []);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!form || !stored) return;
    void saving.run(async () => {
      const saved = await saveSmsSettings(fromSmsForm(form, stored));
      setStored(saved);
      setForm(toSmsForm(saved));
      notifications.show({ color: 'green', message: 'SMS settings saved' });
    });
  }

  function sendTest() {
    if (!form || !stored) return;
    void testing.run(async () => {
      await sendTestSms(fromSmsForm(form, stored), numberTo.trim(), message);
      notifications.show({ color: 'green', message: `Test SMS sent to ${numberTo.trim()}` });
    });
  }

  const missing = form && stored ? missingFields(form, stored) : [];
  const scope = user.authority === 'SYS_ADMIN' ? 'The provider the platform sends SMS through' : "Your tenant's SMS provider (the system's is used while none is set)";

  return (
    <>
      <PageHeader title="SMS settings" subtitle={scope} />
      {error && (
        <Alert color="red" variant="light" mb="md" data-testid="sms-error">
          {error}
        </Alert>
      )}
      {!form && !error && <Loader m="xl" />}
      {form && stored && (
        <Stack maw={720}>
          <Paper withBorder radius="md" p="md">
            <form onSubmit={submit}>
              <Stack>
                <SegmentedControl
                  aria-label="SMS provider"
                  data={SMS_PROVIDERS.map((p) => ({ value: p, label: PROVIDER_LABEL[p] }))}
                  value={form.type}
                  onChange={(v) => setForm(toSmsForm(v === stored.type ? stored : { type: v as SmsProvider }))}
                />
                <SimpleGrid cols={{ base: 1, sm: 2 }}>
                  {SMS_FIELDS[form.type].map((field) => (
                    <FieldInput
                      key={`${form.type}-${field.key}`}
                      field={field}
                      value={form.values[field.key] ?? ''}
                      stored={stored.type === form.type}
                      onChange={(v) => setForm({ ...form, values: { ...form.values, [field.key]: v } })}
                    />
                  ))}
                </SimpleGrid>
                <Text size="xs" c="dimmed">
                  Stored secrets are never shown; leave them empty to keep them.
                </Text>
                <Group justify="flex-end">
                  <Button type="submit" loading={saving.busy} disabled={missing.length > 0}>
                    Save
                  </Button>
                </Group>
              </Stack>
            </form>
          </Paper>
          <Paper withBorder radius="md" p="md">
            <Stack>
              <Text fw={600}>Send test SMS</Text>
              <Text size="sm" c="dimmed">
                Sends with the settings above, saved or not.
              </Text>
              <TextInput label="Phone number to" placeholder="+15551234567" value={numberTo} onChange={(e) => setNumberTo(e.currentTarget.value)} />
              <Textarea label="Message" autosize minRows={2} value={message} onChange={(e) => setMessage(e.currentTarget.value)} />
              <Group justify="flex-end">
                <Button variant="light" loading={testing.busy} disabled={missing.length > 0 || !numberTo.trim() || !message.trim()} onClick={sendTest}>
                  Send test SMS
                </Button>
              </Group>
            </Stack>
          </Paper>
        </Stack>
      )}
    </>
  );
}
