import { Alert, Button, Checkbox, Divider, Group, Modal, NumberInput, SimpleGrid, Stack, TextInput, Textarea } from '@mantine/core';
import { useEffect, useState, type FormEvent } from 'react';
import { describeError } from '../../api/errors';
import { saveTenantProfile, type ProfileConfiguration, type TenantProfile } from '../../api/tenants';
import { COUNTS, RATE_LIMITS, validRateLimit } from './limits';

interface Props {
  opened: boolean;
  profile?: TenantProfile | null;
  onClose: () => void;
  onSaved: (profile: TenantProfile) => void;
}

type Texts = Record<string, string>;
type Numbers = Record<string, number | string>;

function readConfig(profile?: TenantProfile | null): { rates: Texts; counts: Numbers; ttl: number | string } {
  const config: ProfileConfiguration = profile?.profileData?.configuration ?? {};
  const rates: Texts = {};
  for (const [key] of RATE_LIMITS) rates[key] = typeof config[key] === 'string' ? (config[key] as string) : '';
  const counts: Numbers = {};
  for (const [key] of COUNTS) counts[key] = typeof config[key] === 'number' ? (config[key] as number) : 0;
  const ttl = typeof config.defaultStorageTtlDays === 'number' ? config.defaultStorageTtlDays : '';
  return { rates, counts, ttl };
}

/** Name, description, isolated flag and the limits of `profileData.configuration`. */
export function TenantProfileFormModal({ opened, profile, onClose, onSaved }: Props) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [isolated, setIsolated] = useState(false);
  const [rates, setRates] = useState<Texts>({});
  const [counts, setCounts] = useState<Numbers>({});
  const [ttl, setTtl] = useState<number | string>('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!opened) return;
    setName(profile?.name ?? '');
    setDescription(profile?.description ?? '');
    setIsolated(Boolean(profile?.isolatedTbRuleEngine));
    const read = readConfig(profile);
    setRates(read.rates);
    setCounts(read.counts);
    setTtl(read.ttl);
    setError(null);
  }, [opened, profile]);

  const invalid = RATE_LIMITS.some(([key]) => !validRateLimit(rates[key] ?? ''));

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const configuration: ProfileConfiguration = { type: 'DEFAULT', ...(profile?.profileData?.configuration ?? {}) };
      for (const [key] of RATE_LIMITS) configuration[key] = rates[key]?.trim() || null;
      for (const [key] of COUNTS) configuration[key] = Number(counts[key]) || 0;
      configuration.defaultStorageTtlDays = ttl === '' ? null : Number(ttl);
      const body: TenantProfile = {
        ...(profile ?? {}),
        name: name.trim(),
        description: description.trim() || null,
        isolatedTbRuleEngine: isolated,
        profileData: { ...(profile?.profileData ?? {}), configuration },
      };
      onSaved(await saveTenantProfile(body));
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal opened={opened} onClose={onClose} title={profile ? 'Edit tenant profile' : 'Add tenant profile'} centered size="lg">
      <form onSubmit={submit}>
        <Stack>
          {error && (
            <Alert color="red" variant="light">
              {error}
            </Alert>
          )}
          <TextInput label="Name" required value={name} onChange={(e) => setName(e.currentTarget.value)} data-autofocus />
          <Textarea label="Description" autosize minRows={2} value={description} onChange={(e) => setDescription(e.currentTarget.value)} />
          <Checkbox label="Isolated rule engine" checked={isolated} onChange={(e) => setIsolated(e.currentTarget.checked)} />
          <Divider label="Entity limits (0 = unlimited)" labelPosition="left" />
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            {COUNTS.map(([key, label]) => (
              <NumberInput key={key} label={label} min={0} allowDecimal={false} value={counts[key] ?? 0} onChange={(v) => setCounts({ ...counts, [key]: v })} />
            ))}
            <NumberInput label="Default storage TTL (days)" placeholder="Keep forever" min={0} allowDecimal={false} value={ttl} onChange={setTtl} />
          </SimpleGrid>
          <Divider label="Transport rate limits (capacity:seconds, comma separated; empty = unlimited)" labelPosition="left" />
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            {RATE_LIMITS.map(([key, label]) => (
              <TextInput
                key={key}
                label={label}
                placeholder="e.g. 100:1,3000:60"
                value={rates[key] ?? ''}
                error={validRateLimit(rates[key] ?? '') ? undefined : 'Use capacity:seconds pairs'}
                onChange={(e) => setRates({ ...rates, [key]: e.currentTarget.value })}
              />
            ))}
          </SimpleGrid>
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={busy} disabled={!name.trim() || invalid}>
              {profile ? 'Save' : 'Add'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
