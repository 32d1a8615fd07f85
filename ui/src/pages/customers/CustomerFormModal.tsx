import { Alert, Button, Group, Modal, SimpleGrid, Stack, TextInput, Textarea } from '@mantine/core';
import { useEffect, useState, type FormEvent } from 'react';
import { saveCustomer, type Customer } from '../../api/customers';
import { describeError } from '../../api/errors';

const FIELDS = [
  ['email', 'E-mail'],
  ['phone', 'Phone'],
  ['country', 'Country'],
  ['city', 'City'],
  ['address', 'Address'],
] as const;

type Field = (typeof FIELDS)[number][0];

interface Props {
  opened: boolean;
  customer?: Customer | null;
  onClose: () => void;
  onSaved: (customer: Customer) => void;
}

export function CustomerFormModal({ opened, customer, onClose, onSaved }: Props) {
  const [title, setTitle] = useState('');
  const [values, setValues] = useState<Record<Field, string>>({ email: '', phone: '', country: '', city: '', address: '' });
  const [description, setDescription] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!opened) return;
    setTitle(customer?.title ?? '');
    setValues({
      email: customer?.email ?? '',
      phone: customer?.phone ?? '',
      country: customer?.country ?? '',
      city: customer?.city ?? '',
      address: customer?.address ?? '',
    });
    setDescription(customer?.additionalInfo?.description ?? '');
    setError(null);
  }, [opened, customer]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body: Customer = { ...(customer ?? {}), title: title.trim() };
      for (const [key] of FIELDS) body[key] = values[key].trim() || null;
      body.additionalInfo = { ...(customer?.additionalInfo ?? {}), description };
      onSaved(await saveCustomer(body));
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal opened={opened} onClose={onClose} title={customer ? 'Edit customer' : 'Add customer'} centered size="lg">
      <form onSubmit={submit}>
        <Stack>
          {error && (
            <Alert color="red" variant="light">
              {error}
            </Alert>
          )}
          <TextInput label="Title" required value={title} onChange={(e) => setTitle(e.currentTarget.value)} data-autofocus />
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
              {customer ? 'Save' : 'Add'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
