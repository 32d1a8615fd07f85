import { SimpleGrid, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';

/** One labelled read-only value of a details grid; empty values show a dash. */
export function Field({ label, children, mono }: { label: string; children: ReactNode; mono?: boolean }) {
  return (
    <Stack gap={2}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text size="sm" className={mono ? 'mono' : undefined}>
        {children || '—'}
      </Text>
    </Stack>
  );
}

/** The responsive grid the details tabs lay their fields out in. */
export function FieldGrid({ children }: { children: ReactNode }) {
  return (
    <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }} spacing="lg">
      {children}
    </SimpleGrid>
  );
}

/** The contact details customers and tenants share (ThingsBoard's ContactBased fields). */
export interface Contact {
  title: string;
  email?: string | null;
  phone?: string | null;
  country?: string | null;
  city?: string | null;
  createdTime?: number;
  additionalInfo?: { description?: string; [field: string]: unknown } | null;
  [field: string]: unknown;
}

const optional = (value: unknown) => (typeof value === 'string' ? value : '');

/** A contact's fields in the details grid; `children` (say a profile) follow the title. */
export function ContactFields({ contact, created, children }: { contact: Contact; created: string; children?: ReactNode }) {
  return (
    <FieldGrid>
      <Field label="Title">{contact.title}</Field>
      {children}
      <Field label="E-mail">{contact.email}</Field>
      <Field label="Phone">{contact.phone}</Field>
      <Field label="Country">{contact.country}</Field>
      <Field label="State">{optional(contact.state)}</Field>
      <Field label="City">{contact.city}</Field>
      <Field label="Address">{optional(contact.address)}</Field>
      <Field label="Zip">{optional(contact.zip)}</Field>
      <Field label="Created">{created}</Field>
      <Field label="Description">{contact.additionalInfo?.description}</Field>
    </FieldGrid>
  );
}
