import { Avatar, Group, Menu, Text, UnstyledButton } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconChevronDown, IconKey, IconLogout } from '@tabler/icons-react';
import { useNavigate } from 'react-router';
import type { User } from '../api/types';
import { useSession } from '../auth/session';
import { displayName, initials } from '../lib/format';
import { AUTHORITY_LABEL } from '../lib/navigation';
import { ChangePasswordModal } from './ChangePasswordModal';

export function UserMenu({ user, owner }: { user: User; owner: string | null }) {
  const session = useSession();
  const navigate = useNavigate();
  const [passwordOpen, passwordModal] = useDisclosure(false);
  const name = displayName(user);

  async function signOut() {
    await session.logout();
    navigate('/login', { replace: true });
  }

  return (
    <>
      <Menu position="bottom-end" width={240} shadow="md">
        <Menu.Target>
          <UnstyledButton aria-label="User menu" data-testid="user-menu">
            <Group gap={8} wrap="nowrap">
              <Avatar color="indigo" radius="xl" size={32}>
                {initials(name)}
              </Avatar>
              <div style={{ lineHeight: 1.1 }}>
                <Text size="sm" fw={600} visibleFrom="xs">
                  {name}
                </Text>
                <Text size="xs" c="dimmed" visibleFrom="xs">
                  {AUTHORITY_LABEL[user.authority]}
                </Text>
              </div>
              <IconChevronDown size={14} />
            </Group>
          </UnstyledButton>
        </Menu.Target>
        <Menu.Dropdown>
          <Menu.Label>{user.email}</Menu.Label>
          {owner && <Menu.Label>{owner}</Menu.Label>}
          <Menu.Divider />
          <Menu.Item leftSection={<IconKey size={16} />} onClick={passwordModal.open}>
            Change password
          </Menu.Item>
          <Menu.Item leftSection={<IconLogout size={16} />} color="red" onClick={signOut}>
            Sign out
          </Menu.Item>
        </Menu.Dropdown>
      </Menu>
      <ChangePasswordModal opened={passwordOpen} onClose={passwordModal.close} />
    </>
  );
}
