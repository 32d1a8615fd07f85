import { Center, Loader } from '@mantine/core';
import { lazy, Suspense, useEffect, useState } from 'react';
import { homeDashboard } from '../../dashboards/api';

// The dashboard code (grid, charts) loads only when a home dashboard is set.
const DashboardScreen = lazy(async () => ({ default: (await import('./DashboardPage')).DashboardScreen }));

export type HomeState = { status: 'loading' } | { status: 'none' } | { status: 'set'; id: string; hideToolbar: boolean };

/** The signed-in user's home dashboard (`/api/dashboard/home`), if one is set. */
export function useHomeDashboard(): HomeState {
  const [state, setState] = useState<HomeState>({ status: 'loading' });
  useEffect(() => {
    let current = true;
    homeDashboard()
      .then((home) => {
        if (!current) return;
        const id = home?.id?.id;
        setState(id ? { status: 'set', id, hideToolbar: home.hideDashboardToolbar !== false } : { status: 'none' });
      })
      .catch(() => current && setState({ status: 'none' })); // no home dashboard: the usual home page
    return () => {
      current = false;
    };
  }, []);
  return state;
}

/** The home page's dashboard, shown instead of the welcome cards when one is set. */
export function HomeDashboard({ state }: { state: HomeState }) {
  const loader = (
    <Center h={200}>
      <Loader />
    </Center>
  );
  if (state.status !== 'set') return loader;
  return (
    <Suspense fallback={loader}>
      <div data-testid="home-dashboard">
        <DashboardScreen dashboardId={state.id} hideToolbar={state.hideToolbar} />
      </div>
    </Suspense>
  );
}
