import { Select } from '@mantine/core';
import { useEffect, useState } from 'react';
import { allTenantProfiles, saveTenant, type Tenant } from '../../api/tenants';
import { ContactFormModal } from '../../components/ContactFormModal';

interface Props {
  opened: boolean;
  tenant?: Tenant | null;
  onClose: () => void;
  onSaved: (tenant: Tenant) => void;
}

/** Title, contact fields, description and tenant profile (empty: the default profile). */
export function TenantFormModal({ opened, tenant, onClose, onSaved }: Props) {
  const [profile, setProfile] = useState<string | null>(null);
  const [profiles, setProfiles] = useState<{ value: string; label: string }[]>([]);

  useEffect(() => {
    if (!opened) return;
    setProfile(tenant?.tenantProfileId?.id ?? null);
    allTenantProfiles()
      .then((ps) => setProfiles(ps.map((p) => ({ value: p.id!.id, label: p.default ? `${p.name} (default)` : p.name }))))
      .catch(() => setProfiles([]));
  }, [opened, tenant]);

  return (
    <ContactFormModal<Tenant>
      opened={opened}
      entity={tenant}
      noun="tenant"
      extra={<Select label="Tenant profile" placeholder="Default profile" clearable data={profiles} value={profile} onChange={setProfile} />}
      save={({ tenantProfileName: _name, ...body }) =>
        saveTenant({ ...body, tenantProfileId: profile ? { entityType: 'TENANT_PROFILE', id: profile } : null })
      }
      onClose={onClose}
      onSaved={onSaved}
    />
  );
}
