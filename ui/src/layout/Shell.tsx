import { AppShell, Badge, Burger, Group, NavLink, ScrollArea, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import {
  IconAlertTriangle,
  IconBell,
  IconBuilding,
  IconBuildingFactory2,
  IconBuildingSkyscraper,
  IconCpu,
  IconDeviceDesktopUp,
  IconHome,
  IconLayoutDashboard,
  IconMail,
  IconMessage,
  IconSettings,
  IconSitemap,
  IconTemplate,
  IconUsers,
  IconUsersGroup,
  type Icon,
} from '@tabler/icons-react';
import { Link, Outlet, useLocation } from 'react-router';
import { useSession, useUser } from '../auth/session';
import { Brand } from '../components/Brand';
import { navigationFor, type Section } from '../lib/navigation';
import { NotificationBell } from './NotificationBell';
import { UserMenu } from './UserMenu';

const ICONS: Record<Section, Icon> = {
  home: IconHome,
  tenants: IconBuildingFactory2,
  tenantProfiles: IconSettings,
  devices: IconCpu,
  assets: IconBuilding,
  deviceProfiles: IconTemplate,
  otaPackages: IconDeviceDesktopUp,
  assetProfiles: IconTemplate,
  customers: IconUsersGroup,
  users: IconUsers,
  ruleChains: IconSitemap,
  alarms: IconAlertTriangle,
  dashboards: IconLayoutDashboard,
  notifications: IconBell,
  settings: IconMail,
  smsSettings: IconMessage,
  tenant: IconBuildingSkyscraper,
};

function isActive(current: string, path: string): boolean {
  return path === '/' ? current === '/' : current === path || current.startsWith(path + '/');
}

/** The frame of every signed-in page: top bar, navigation by authority, content. */
export function Shell() {
  const user = useUser();
  const { tenantTitle, customerTitle } = useSession();
  const [opened, { toggle, close }] = useDisclosure(false);
  const location = useLocation();
  const owner = customerTitle ?? tenantTitle;

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 232, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger
              opened={opened}
              onClick={toggle}
              hiddenFrom="sm"
              size="sm"
              aria-label="Toggle navigation"
            />
            <Link to="/" style={{ textDecoration: 'none', color: 'inherit' }}>
              <Brand size="md" />
            </Link>
            {owner && (
              <Badge variant="light" color="gray" size="lg" visibleFrom="sm" data-testid="owner">
                {owner}
              </Badge>
            )}
          </Group>
          <Group gap="xs" wrap="nowrap">
            <NotificationBell />
            <UserMenu user={user} owner={owner} />
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs">
        <AppShell.Section grow component={ScrollArea}>
          <nav aria-label="Main">
            {navigationFor(user.authority).map((item) => {
              const ItemIcon = ICONS[item.section];
              return (
                <NavLink
                  key={item.section}
                  component={Link}
                  to={item.path}
                  label={item.label}
                  leftSection={<ItemIcon size={18} stroke={1.6} />}
                  active={isActive(location.pathname, item.path)}
                  onClick={close}
                  variant="light"
                  style={{ borderRadius: 'var(--mantine-radius-md)' }}
                />
              );
            })}
          </nav>
        </AppShell.Section>
        <AppShell.Section>
          <Text size="xs" c="dimmed" px="sm" py={4}>
            IndustryOS · ThingsBoard-compatible API
          </Text>
        </AppShell.Section>
      </AppShell.Navbar>
      <AppShell.Main>
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
