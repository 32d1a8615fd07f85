import { Alert, Anchor, Breadcrumbs, Button, Group, Loader, Paper, SimpleGrid, Stack, Tabs, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { describeError } from '../../api/errors';
import { tenant as loadTenant, type Tenant } from '../../api/tenants';
import { PageHeader } from '../../components/PageHeader';
import { SectionGuard } from '../../layout/SectionGuard';
import { formatTime } from '../../lib/format';
import { TenantAdmins } from './TenantAdmins';
import { TenantFormModal } from './TenantFormModal';

const TABS = [
  { value: 'details', label: 'Details' },
  { value: 'admins', label: 'Tenant admins' },
] as const;

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Stack gap={2}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text size="sm">{children || '—'}</Text>
    </Stack>
  );
}

/** One tenant: details and its administrators. */
export function TenantPage() {
  return (
    <SectionGuard section="tenants">
      <TenantPageContent />
    </SectionGuard>
  );
}

function TenantPageContent() {
  const { tenantId = '', tab = 'details' } = useParams();
  const navigate = useNavigate();
  const [tenant, setTenant] = useState<Tenant | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);

  const reload = useCallback(() => {
    loadTenant(tenantId)
      .then(setTenant)
      .catch((e: unknown) => setError(describeError(e)));
  }, [tenantId]);
  useEffect(reload, [reload]);

  if (error) return <Alert color="red">{error}</Alert>;
  if (!tenant) return <Loader m="xl" />;
  const current = TABS.some((t) => t.value === tab) ? tab : 'details';
  return (
    <>
      <Breadcrumbs mb="xs">
        <Anchor component={Link} to="/tenants" size="sm">
          Tenants
        </Anchor>
        <Text size="sm">{tenant.title}</Text>
      </Breadcrumbs>
      <PageHeader title={tenant.title} subtitle={tenant.email ?? undefined} />
      <Paper withBorder radius="md">
        <Tabs value={current} onChange={(v) => v && navigate(`/tenants/${tenantId}/${v}`, { replace: true })} keepMounted={false}>
          <Tabs.List>
            {TABS.map((t) => (
              <Tabs.Tab key={t.value} value={t.value}>
                {t.label}
              </Tabs.Tab>
            ))}
          </Tabs.List>
          <Tabs.Panel value="details" p="md">
            <Stack>
              <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }} spacing="lg">
                <Field label="Title">{tenant.title}</Field>
                <Field label="Tenant profile">{tenant.tenantProfileName}</Field>
                <Field label="E-mail">{tenant.email}</Field>
                <Field label="Phone">{tenant.phone}</Field>
                <Field label="Country">{tenant.country}</Field>
                <Field label="City">{tenant.city}</Field>
                <Field label="Created">{formatTime(tenant.createdTime)}</Field>
                <Field label="Description">{tenant.additionalInfo?.description}</Field>
              </SimpleGrid>
              <Group>
                <Button variant="light" onClick={() => setEditing(true)}>
                  Edit
                </Button>
              </Group>
            </Stack>
          </Tabs.Panel>
          <Tabs.Panel value="admins" p="md">
            <TenantAdmins tenantId={tenantId} />
          </Tabs.Panel>
        </Tabs>
      </Paper>
      <TenantFormModal
        opened={editing}
        tenant={tenant}
        onClose={() => setEditing(false)}
        onSaved={() => {
          setEditing(false);
          reload();
          notifications.show({ color: 'green', message: 'Saved' });
        }}
      />
    </>
  );
}
