import { Button, Group, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { useParams } from 'react-router';
import { tenant as loadTenant, type Tenant } from '../../api/tenants';
import type { EntityId } from '../../api/types';
import { useUser } from '../../auth/session';
import { EntityDetailPage, type DetailTab } from '../../components/EntityDetailPage';
import { ContactFields, Field } from '../../components/Field';
import { commonTabs } from '../../components/entity/commonTabs';
import { SectionGuard } from '../../layout/SectionGuard';
import { formatTime } from '../../lib/format';
import { TenantAdmins } from './TenantAdmins';
import { TenantFormModal } from './TenantFormModal';

/** One tenant, as the system administrator manages it: details and its administrators. */
export function TenantPage() {
  const { tenantId = '' } = useParams();
  return (
    <SectionGuard section="tenants">
      <TenantView tenantId={tenantId} basePath={`/tenants/${tenantId}`} editable />
    </SectionGuard>
  );
}

/**
 * The tenant administrator's own tenant. ThingsBoard lets a tenant administrator read its
 * tenant (`GET /api/tenant/info/{id}`) but keeps `POST /api/tenant` to the system
 * administrator (a save could also switch the tenant profile and so its limits), so the
 * details are read-only here and say whom to ask.
 */
export function MyTenantPage() {
  const user = useUser();
  const tenantId = user.tenantId?.id ?? '';
  return (
    <SectionGuard section="tenant">
      <TenantView tenantId={tenantId} basePath="/tenant" editable={false} />
    </SectionGuard>
  );
}

function TenantView({ tenantId, basePath, editable }: { tenantId: string; basePath: string; editable: boolean }) {
  const user = useUser();
  const [editing, setEditing] = useState(false);
  const entity: EntityId = { entityType: 'TENANT', id: tenantId };

  const details = (tenant: Tenant): DetailTab => ({
    value: 'details',
    label: 'Details',
    render: () => (
      <Stack>
        <ContactFields contact={tenant} created={formatTime(tenant.createdTime)}>
          <Field label="Tenant profile">{tenant.tenantProfileName}</Field>
        </ContactFields>
        {editable ? (
          <Group>
            <Button variant="light" onClick={() => setEditing(true)}>
              Edit
            </Button>
          </Group>
        ) : (
          <Text size="sm" c="dimmed" data-testid="tenant-read-only">
            Only the system administrator can change these details.
          </Text>
        )}
      </Stack>
    ),
  });

  return (
    <EntityDetailPage<Tenant>
      id={tenantId}
      load={loadTenant}
      basePath={basePath}
      list={editable ? { label: 'Tenants', path: '/tenants' } : undefined}
      title={(t) => t.title}
      subtitle={(t) => t.email ?? undefined}
      tabs={({ entity: tenant }) =>
        editable
          ? [details(tenant), { value: 'admins', label: 'Tenant admins', render: () => <TenantAdmins tenantId={tenantId} /> }]
          : [details(tenant), ...commonTabs(entity, user.authority)]
      }
    >
      {({ entity: tenant, reload }) =>
        editable && (
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
        )
      }
    </EntityDetailPage>
  );
}
