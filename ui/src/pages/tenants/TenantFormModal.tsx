import { Alert, Button, Group, Modal, Select, SimpleGrid, Stack, TextInput, Textarea } from '@mantine/core';
import { useEffect, useState, type FormEvent } from 'react';
import { describeError } from '../../api/errors';
import { allTenantProfiles, saveTenant, type Tenant } from '../../api/tenants';

const FIELDS = [
  ['email', 'E-mail'],
  ['phone', 'Phone'],
  ['country', 'Country'],
  ['city', 'City'],
] as const;

type Field = (typeof FIELDS)[number][0];

interface Props {
  opened: boolean;
  tenant?: Tenant | null;
  onClose: () => void;
  onSaved: (tenant: Tenant) => void;
}

/** Title, contact fields, description and tenant profile (empty: the default profile). */
export function TenantFormModal({ opened, tenant, onClose, onSaved }: Props) {
  const [title, setTitle] = useState('');
  const [values, setValues] = useState<Record<Field, string>>({ email: '', phone: '', country: '', city: '' });
  const [description, setDescription] = useState('');
  const [profile, setProfile] = useState<string | null>(null);
  const [profiles, setProfiles] = useState<{ value: string; label: string }[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!opened) return;
    setTitle(tenant?.title ?? '');
    setValues({ email: tenant?.email ?? '', phone: tenant?.phone ?? '', country: tenant?.country ?? '', city: tenant?.city ?? '' });
    setDescription(tenant?.additionalInfo?.description ?? '');
    setProfile(tenant?.tenantProfileId?.id ?? null);
    setError(null);
    allTenantProfiles()
      .then((ps) => setProfiles(ps.map((p) => ({ value: p.id!.id, label: p.default ? `${p.name} (default)` : p.name }))))
      .catch(() => setProfiles([]));
  }, [opened, tenant]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { tenantProfileName: _name, ...rest } = tenant ?? { title: '' };
      const body: Tenant = { ...rest, title: title.trim() };
      for (const [key] of FIELDS) body[key] = values[key].trim() || null;
      body.additionalInfo = { ...(tenant?.additionalInfo ?? {}), description };
      body.tenantProfileId = profile ? { entityType: 'TENANT_PROFILE', id: profile } : null;
      onSaved(await saveTenant(body));
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal opened={opened} onClose={onClose} title={tenant ? 'Edit tenant' : 'Add tenant'} centered size="lg">
      <form onSubmit={submit}>
        <Stack>
          {error && (
            <Alert color="red" variant="light">
              {error}
            </Alert>
          )}
          <TextInput label="Title" required value={title} onChange={(e) => setTitle(e.currentTarget.value)} data-autofocus />
          <Select
            label="Tenant profile"
            placeholder="Default profile"
            clearable
            data={profiles}
            value={profile}
            onChange={setProfile}
          />
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            {FIELDS.map(([key, label]) => (
              <TextInput key={key} label={label} value={values[key]} onChange={(e) => setValues({ ...values, [key]: e.currentTarget.value })} />
            ))}
          </SimpleGrid>
          <Textarea label="Description" autosize minRows={2} value={description} onChange={(e) => setDescription(e.currentTarget.value)} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={busy} disabled={!title.trim()}>
              {tenant ? 'Save' : 'Add'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
