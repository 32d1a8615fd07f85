import { SimpleGrid, TextInput, Textarea } from '@mantine/core';
import { useEffect, useState, type ReactNode } from 'react';
import type { Contact } from './Field';
import { FormModal } from './FormModal';

/** The contact fields a form edits, as `[key, label]`. */
export type ContactField = readonly [string, string];

export const CONTACT_FIELDS: readonly ContactField[] = [
  ['email', 'E-mail'],
  ['phone', 'Phone'],
  ['country', 'Country'],
  ['state', 'State'],
  ['city', 'City'],
  ['address', 'Address'],
  ['zip', 'Zip'],
];

interface Props<T extends Contact> {
  opened: boolean;
  entity?: T | null;
  /** "customer", "tenant": the dialog's title says it. */
  noun: string;
  fields?: readonly ContactField[];
  /** Inputs of this kind only (a tenant's profile), after the contact fields. */
  extra?: ReactNode;
  /** The body to save, from what the form holds; the entity's other fields are kept. */
  save: (body: T) => Promise<T>;
  onClose: () => void;
  onSaved: (saved: T) => void;
}

const text = (value: unknown) => (typeof value === 'string' ? value : '');

/** Title, contact fields and description of a customer or a tenant. */
export function ContactFormModal<T extends Contact>({ opened, entity, noun, fields = CONTACT_FIELDS, extra, save, onClose, onSaved }: Props<T>) {
  const [title, setTitle] = useState('');
  const [values, setValues] = useState<Record<string, string>>({});
  const [description, setDescription] = useState('');

  useEffect(() => {
    if (!opened) return;
    setTitle(entity?.title ?? '');
    setValues(Object.fromEntries(fields.map(([key]) => [key, text(entity?.[key])])));
    setDescription(entity?.additionalInfo?.description ?? '');
  }, [opened, entity, fields]);

  async function submit() {
    const body = { ...(entity ?? {}), title: title.trim() } as T;
    for (const [key] of fields) (body as Record<string, unknown>)[key] = (values[key] ?? '').trim() || null;
    body.additionalInfo = { ...(entity?.additionalInfo ?? {}), description };
    onSaved(await save(body));
  }

  return (
    <FormModal
      opened={opened}
      onClose={onClose}
      title={`${entity ? 'Edit' : 'Add'} ${noun}`}
      size="lg"
      submit={submit}
      submitLabel={entity ? 'Save' : 'Add'}
      canSubmit={Boolean(title.trim())}
    >
      <TextInput label="Title" required value={title} onChange={(e) => setTitle(e.currentTarget.value)} data-autofocus />
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        {fields.map(([key, label]) => (
          <TextInput key={key} label={label} value={values[key] ?? ''} onChange={(e) => setValues({ ...values, [key]: e.currentTarget.value })} />
        ))}
      </SimpleGrid>
      {extra}
      <Textarea label="Description" autosize minRows={2} value={description} onChange={(e) => setDescription(e.currentTarget.value)} />
    </FormModal>
  );
}
