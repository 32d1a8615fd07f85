import { Navigate } from 'react-router';

/**
 * The catch-all of the shell: every section now has a page of its own (tenants and tenant
 * profiles were the last read-only lists here), so an unknown section goes home.
 */
export function EntityListPage() {
  return <Navigate to="/" replace />;
}
