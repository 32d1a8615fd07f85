import { MultiSelect, SegmentedControl, Select, TextInput } from '@mantine/core';
import { useEffect, useState } from 'react';
import { allCustomers } from '../../api/customers';
import { saveCatalogObject, USERS_FILTERS, type UsersFilter } from '../../api/notifications';
import { allUsers } from '../../api/users';
import { displayName } from '../../lib/format';
import type { FormProps } from './CatalogTab';
import { FormModal } from '../../components/FormModal';
import { targetToForm, targetToWire, type TargetForm, type TargetType } from './wire';

const FILTER_LABEL: Record<UsersFilter, string> = {
  ALL_USERS: 'All users of the tenant',
  TENANT_ADMINISTRATORS: 'Tenant administrators',
  CUSTOMER_USERS: 'Users of a customer',
  USER_LIST: 'Chosen users',
  ORIGINATOR_ENTITY_OWNER_USERS: "Users of the originator's owner",
  AFFECTED_USER: 'The affected user',
};

/** Who receives a notification: platform users by filter, a Slack channel or a webhook. */
export function TargetFormModal({ value, onClose, onSaved }: FormProps) {
  const [form, setForm] = useState<TargetForm>(() => targetToForm(value));
  const [customers, setCustomers] = useState<{ value: string; label: string }[]>([]);
  const [users, setUsers] = useState<{ value: string; label: string }[]>([]);
  const set = (patch: Partial<TargetForm>) => setForm((f) => ({ ...f, ...patch }));

  useEffect(() => {
    if (form.usersFilter === 'CUSTOMER_USERS' && customers.length === 0) {
      allCustomers().then((cs) => setCustomers(cs.map((c) => ({ value: c.id!.id, label: c.title })))).catch(() => undefined);
    }
    if (form.usersFilter === 'USER_LIST' && users.length === 0) {
      allUsers().then((us) => setUsers(us.map((u) => ({ value: u.id.id, label: `${displayName(u)} (${u.email})` })))).catch(() => undefined);
    }
  }, [form.usersFilter, customers.length, users.length]);

  const valid =
    form.name.trim() !== '' &&
    (form.type !== 'PLATFORM_USERS' ||
      (form.usersFilter !== 'CUSTOMER_USERS' || form.customerId !== '') && (form.usersFilter !== 'USER_LIST' || form.userIds.length > 0)) &&
    (form.type !== 'SLACK' || form.slackChannel.trim() !== '' || form.slackWebhook.trim() !== '') &&
    (form.type !== 'WEBHOOK' || /^https?:\/\//.test(form.url.trim()));

  return (
    <FormModal
      opened
      size="lg"
      submitLabel="Save"
      title={value ? 'Edit target' : 'Add target'}
      canSubmit={valid}
      onClose={onClose}
      submit={async () => onSaved(await saveCatalogObject('target', targetToWire(form, value)))}
    >
      <TextInput label="Name" required value={form.name} onChange={(e) => set({ name: e.currentTarget.value })} data-autofocus />
      <SegmentedControl
        data={[
          { value: 'PLATFORM_USERS', label: 'Platform users' },
          { value: 'SLACK', label: 'Slack' },
          { value: 'WEBHOOK', label: 'Webhook' },
        ]}
        value={form.type}
        onChange={(v) => set({ type: v as TargetType })}
      />
      {form.type === 'PLATFORM_USERS' && (
        <>
          <Select
            label="Recipients"
            allowDeselect={false}
            data={USERS_FILTERS.map((f) => ({ value: f, label: FILTER_LABEL[f] }))}
            value={form.usersFilter}
            onChange={(v) => v && set({ usersFilter: v as UsersFilter })}
          />
          {form.usersFilter === 'CUSTOMER_USERS' && (
            <Select label="Customer" searchable data={customers} value={form.customerId || null} onChange={(v) => set({ customerId: v ?? '' })} />
          )}
          {form.usersFilter === 'USER_LIST' && (
            <MultiSelect label="Users" searchable data={users} value={form.userIds} onChange={(userIds) => set({ userIds })} />
          )}
        </>
      )}
      {form.type === 'SLACK' && (
        <>
          <TextInput label="Channel" description="Posted with the Slack bot token of the notification settings" value={form.slackChannel} onChange={(e) => set({ slackChannel: e.currentTarget.value })} />
          <TextInput label="Or incoming webhook URL" value={form.slackWebhook} onChange={(e) => set({ slackWebhook: e.currentTarget.value })} />
        </>
      )}
      {form.type === 'WEBHOOK' && <TextInput label="URL" required value={form.url} onChange={(e) => set({ url: e.currentTarget.value })} />}
      <TextInput label="Description" value={form.description} onChange={(e) => set({ description: e.currentTarget.value })} />
    </FormModal>
  );
}
