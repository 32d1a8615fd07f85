import { Alert, Button, Group, Modal, SegmentedControl, Select, SimpleGrid, Stack, TextInput } from '@mantine/core';
import { useEffect, useState, type FormEvent } from 'react';
import { allCustomers } from '../../api/customers';
import { describeError } from '../../api/errors';
import { NULL_UUID, type Authority } from '../../api/types';
import { saveUser, type UserBody, type UserRow } from '../../api/users';

interface Props {
  opened: boolean;
  user?: UserRow | null;
  /** Create users of this customer only (the customer's own page). */
  customerId?: string;
  /** Create administrators of this tenant only (the sysadmin's tenant page). */
  tenantId?: string;
  onClose: () => void;
  onSaved: (user: UserRow, created: boolean) => void;
}

/** A tenant administrator or a customer user: e-mail, names, phone and (when new) the role. */
export function UserFormModal({ opened, user, customerId, tenantId, onClose, onSaved }: Props) {
  const [email, setEmail] = useState('');
  const [firstName, setFirstName] = useState('');
  const [lastName, setLastName] = useState('');
  const [phone, setPhone] = useState('');
  const [role, setRole] = useState<Authority>('TENANT_ADMIN');
  const [customer, setCustomer] = useState<string | null>(null);
  const [customers, setCustomers] = useState<{ value: string; label: string }[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!opened) return;
    setEmail(user?.email ?? '');
    setFirstName(user?.firstName ?? '');
    setLastName(user?.lastName ?? '');
    setPhone(user?.phone ?? '');
    setRole(customerId ? 'CUSTOMER_USER' : tenantId ? 'TENANT_ADMIN' : (user?.authority ?? 'TENANT_ADMIN'));
    setCustomer(customerId ?? null);
    setError(null);
    if (!customerId && !tenantId && !user) {
      allCustomers()
        .then((cs) => setCustomers(cs.map((c) => ({ value: c.id!.id, label: c.title }))))
        .catch(() => setCustomers([]));
    }
  }, [opened, user, customerId, tenantId]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body: UserBody = user
        ? { ...user, email: email.trim() }
        : {
            email: email.trim(),
            authority: role,
            customerId: role === 'CUSTOMER_USER' && customer ? { entityType: 'CUSTOMER', id: customer } : { entityType: 'CUSTOMER', id: NULL_UUID },
            ...(tenantId ? { tenantId: { entityType: 'TENANT', id: tenantId } } : {}),
          };
      body.firstName = firstName.trim() || null;
      body.lastName = lastName.trim() || null;
      body.phone = phone.trim() || null;
      onSaved(await saveUser(body), !user);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  const needsCustomer = !user && role === 'CUSTOMER_USER' && !customer;
  return (
    <Modal opened={opened} onClose={onClose} title={user ? 'Edit user' : tenantId ? 'Add tenant administrator' : 'Add user'} centered>
      <form onSubmit={submit}>
        <Stack>
          {error && (
            <Alert color="red" variant="light">
              {error}
            </Alert>
          )}
          <TextInput label="E-mail" type="email" required value={email} onChange={(e) => setEmail(e.currentTarget.value)} data-autofocus />
          <SimpleGrid cols={2}>
            <TextInput label="First name" value={firstName} onChange={(e) => setFirstName(e.currentTarget.value)} />
            <TextInput label="Last name" value={lastName} onChange={(e) => setLastName(e.currentTarget.value)} />
          </SimpleGrid>
          <TextInput label="Phone" value={phone} onChange={(e) => setPhone(e.currentTarget.value)} />
          {!user && !customerId && !tenantId && (
            <>
              <SegmentedControl
                aria-label="Role"
                data={[
                  { value: 'TENANT_ADMIN', label: 'Tenant administrator' },
                  { value: 'CUSTOMER_USER', label: 'Customer user' },
                ]}
                value={role}
                onChange={(v) => setRole(v as Authority)}
              />
              {role === 'CUSTOMER_USER' && <Select label="Customer" required searchable data={customers} value={customer} onChange={setCustomer} />}
            </>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={busy} disabled={!email.trim() || needsCustomer}>
              {user ? 'Save' : 'Add'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
