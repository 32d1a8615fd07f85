import { useCallback } from 'react';
import { tenantAdmins } from '../../api/tenants';
import type { PageLink } from '../../lib/pageLink';
import { UserTable } from '../users/UserTable';

/** The tenant's administrators, as the system administrator manages them: the users table. */
export function TenantAdmins({ tenantId }: { tenantId: string }) {
  const load = useCallback((link: PageLink) => tenantAdmins(tenantId, link), [tenantId]);
  return <UserTable load={load} tenantId={tenantId} addLabel="Add tenant admin" emptyText="No tenant administrators" />;
}
