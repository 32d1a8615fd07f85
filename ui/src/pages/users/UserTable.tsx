import { ActionIcon, Badge, Button, Group, Menu, Switch, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconDots, IconLink, IconPencil, IconPlus, IconTrash } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import { allCustomers } from '../../api/customers';
import { describeError } from '../../api/errors';
import { NULL_UUID, type PageData } from '../../api/types';
import { deleteUser, setUserEnabled, type UserRow } from '../../api/users';
import { useUser } from '../../auth/session';
import { confirmAction } from '../../components/confirm';
import { DataTable, type Column } from '../../components/DataTable';
import { usePaged } from '../../components/usePaged';
import { displayName, formatTime } from '../../lib/format';
import { AUTHORITY_LABEL } from '../../lib/navigation';
import type { PageLink } from '../../lib/pageLink';
import { ActivationModal } from './ActivationModal';
import { loginState } from './loginState';
import { UserFormModal } from './UserFormModal';

interface Props {
  load: (link: PageLink) => Promise<PageData<UserRow>>;
  /** New users belong to this customer. */
  customerId?: string;
  /** New users administer this tenant (the sysadmin's view of a tenant). */
  tenantId?: string;
  addLabel?: string;
  emptyText?: string;
}

/** Users with add, edit, activation link, enable/disable login and delete. */
export function UserTable({ load, customerId, tenantId, addLabel = 'Add user', emptyText = 'No users' }: Props) {
  const me = useUser();
  const paged = usePaged<UserRow>(load, { sortProperty: 'email', sortOrder: 'ASC' });
  const [editing, setEditing] = useState<UserRow | null | undefined>(undefined);
  const [activating, setActivating] = useState<UserRow | null>(null);
  const [titles, setTitles] = useState<Map<string, string>>(new Map());

  useEffect(() => {
    if (customerId || tenantId) return;
    allCustomers()
      .then((cs) => setTitles(new Map(cs.map((c) => [c.id!.id, c.title]))))
      .catch(() => setTitles(new Map()));
  }, [customerId, tenantId]);

  async function run(action: () => Promise<unknown>, done: string) {
    try {
      await action();
      notifications.show({ color: 'green', message: done });
      paged.reload();
    } catch (e) {
      notifications.show({ color: 'red', message: describeError(e) });
    }
  }

  const columns: Column<UserRow>[] = [
    { key: 'email', label: 'E-mail', sort: 'email', render: (u) => <Text size="sm" fw={600}>{u.email}</Text> },
    { key: 'name', label: 'Name', sort: 'firstName', render: (u) => <Text size="sm">{displayName(u) === u.email ? '' : displayName(u)}</Text> },
    { key: 'role', label: 'Role', render: (u) => <Badge variant="light" color={u.authority === 'TENANT_ADMIN' ? 'indigo' : 'teal'}>{AUTHORITY_LABEL[u.authority]}</Badge> },
    ...(customerId || tenantId
      ? []
      : [
          {
            key: 'customer',
            label: 'Customer',
            render: (u: UserRow) => <Text size="sm">{u.customerId && u.customerId.id !== NULL_UUID ? (titles.get(u.customerId.id) ?? '') : ''}</Text>,
          },
        ]),
    {
      key: 'signIn',
      label: 'Sign-in',
      render: (u: UserRow) => {
        const state = loginState(u);
        return (
          <Group gap="xs" wrap="nowrap" onClick={(e) => e.stopPropagation()}>
            <Switch
              size="sm"
              aria-label={`Sign-in enabled for ${u.email}`}
              checked={state.enabled}
              disabled={u.id.id === me.id.id}
              onChange={(e) => {
                const on = e.currentTarget.checked;
                void run(() => setUserEnabled(u.id.id, on), on ? `${u.email} can sign in` : `${u.email} cannot sign in`);
              }}
            />
            {!state.activated && (
              <Badge size="sm" variant="light" color="yellow">
                Pending activation
              </Badge>
            )}
          </Group>
        );
      },
    },
    { key: 'created', label: 'Created', sort: 'createdTime', render: (u) => <Text size="sm" c="dimmed">{formatTime(u.createdTime)}</Text> },
  ];

  return (
    <>
      <DataTable
        paged={paged}
        columns={columns}
        rowKey={(u) => u.id.id}
        searchPlaceholder="Search by e-mail or name"
        emptyText={emptyText}
        minWidth={760}
        toolbar={
          <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing(null)}>
            {addLabel}
          </Button>
        }
        actions={(u) => (
          <Group gap={4} wrap="nowrap">
            <ActionIcon variant="subtle" aria-label={`Edit ${u.email}`} onClick={() => setEditing(u)}>
              <IconPencil size={16} />
            </ActionIcon>
            <Menu position="bottom-end" withinPortal>
              <Menu.Target>
                <ActionIcon variant="subtle" color="gray" aria-label={`More for ${u.email}`}>
                  <IconDots size={16} />
                </ActionIcon>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Item leftSection={<IconLink size={14} />} onClick={() => setActivating(u)}>
                  Activation link
                </Menu.Item>
                <Menu.Divider />
                <Menu.Item
                  color="red"
                  leftSection={<IconTrash size={14} />}
                  disabled={u.id.id === me.id.id}
                  onClick={() => confirmAction(`Delete user ${u.email}?`) && run(() => deleteUser(u.id.id), `Deleted ${u.email}`)}
                >
                  Delete
                </Menu.Item>
              </Menu.Dropdown>
            </Menu>
          </Group>
        )}
      />
      <UserFormModal
        opened={editing !== undefined}
        user={editing}
        customerId={customerId}
        tenantId={tenantId}
        onClose={() => setEditing(undefined)}
        onSaved={(saved, created) => {
          setEditing(undefined);
          paged.reload();
          if (created) setActivating(saved);
          else notifications.show({ color: 'green', message: `Saved ${saved.email}` });
        }}
      />
      <ActivationModal user={activating} onClose={() => setActivating(null)} />
    </>
  );
}
