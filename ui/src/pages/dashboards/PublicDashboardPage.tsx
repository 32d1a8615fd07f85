import { Alert, Box, Center, Loader } from '@mantine/core';
import { useEffect, useState } from 'react';
import { Navigate, useLocation, useParams, useSearchParams } from 'react-router';
import { describeError } from '../../api/errors';
import { api } from '../../api/instance';
import { loginPublic } from '../../dashboards/api';
import { DashboardScreen } from './DashboardPage';

/**
 * `/dashboard/{id}?publicId=…`: a public dashboard link (ThingsBoard's public URL). It signs
 * in as the tenant's public customer and shows the dashboard read-only, without the app
 * shell. Without `publicId` a signed-in user sees the dashboard full-screen the same way.
 */
export function PublicDashboardPage() {
  const { dashboardId } = useParams();
  const [search] = useSearchParams();
  const location = useLocation();
  const publicId = search.get('publicId');
  const [status, setStatus] = useState<'loading' | 'ready' | 'anonymous'>(() => (publicId ? 'loading' : api.tokens.get() ? 'ready' : 'anonymous'));
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!publicId) return;
    let current = true;
    loginPublic(publicId)
      .then(() => current && setStatus('ready'))
      .catch((e: unknown) => current && setError(describeError(e)));
    return () => {
      current = false;
    };
  }, [publicId]);

  if (status === 'anonymous') return <Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  if (error) return <Alert color="red" m="md" title="Cannot open the public dashboard">{error}</Alert>;
  if (status === 'loading' || !dashboardId) return <Center h="100vh"><Loader /></Center>;
  return (
    <Box p="sm" data-testid="public-dashboard">
      <DashboardScreen key={dashboardId} dashboardId={dashboardId} readOnly={Boolean(publicId)} />
    </Box>
  );
}
