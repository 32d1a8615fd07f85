import { Card, SimpleGrid, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { useSession, useUser } from '../auth/session';
import { displayName } from '../lib/format';
import { AUTHORITY_LABEL, navigationFor } from '../lib/navigation';
import { HomeDashboard, useHomeDashboard } from './dashboards/HomeDashboard';

const BLURB: Record<string, string> = {
  tenants: 'Organisations on this platform',
  tenantProfiles: 'Limits and defaults for tenants',
  devices: 'Sensors, controllers and gateways',
  assets: 'Buildings, lines and machines',
  customers: 'Who your devices are shared with',
  users: 'People who sign in to this tenant',
  deviceProfiles: 'Transport and alarm settings of device types',
  assetProfiles: 'Defaults of asset types',
};

export function HomePage() {
  const user = useUser();
  const { tenantTitle, customerTitle } = useSession();
  const items = navigationFor(user.authority).filter((i) => i.section !== 'home');
  const home = useHomeDashboard();
  if (home.status !== 'none') return <HomeDashboard state={home} />;
  return (
    <>
      <Title order={2} size="h3">
        Welcome, {displayName(user)}
      </Title>
      <Text c="dimmed" mb="lg">
        {AUTHORITY_LABEL[user.authority]}
        {customerTitle ? ` · ${customerTitle}` : tenantTitle ? ` · ${tenantTitle}` : ''}
      </Text>
      <SimpleGrid cols={{ base: 1, xs: 2, md: 3 }}>
        {items.map((item) => (
          <Card key={item.section} component={Link} to={item.path} withBorder padding="lg" radius="md">
            <Text fw={600}>{item.label}</Text>
            <Text size="sm" c="dimmed">
              {BLURB[item.section]}
            </Text>
          </Card>
        ))}
      </SimpleGrid>
    </>
  );
}
