/**
 * What every widget of an open dashboard shares: the live hub, the time window, the
 * aliases and a cache of entity names. Provided by the dashboard page.
 */

import { createContext, useContext } from 'react';
import type { EntityLookup } from '../../dashboards/datasource';
import type { LiveHub } from '../../dashboards/live';
import type { EntityAlias, Timewindow } from '../../dashboards/types';

export interface DashboardRuntime {
  hub: LiveHub;
  timewindow: Timewindow;
  aliases: Record<string, EntityAlias>;
  lookup: EntityLookup;
  names: Map<string, Promise<string>>;
  /** Whether the user may send RPCs and write attributes (not in edit mode). */
  interactive: boolean;
}

export const RuntimeContext = createContext<DashboardRuntime | null>(null);

export function useRuntime(): DashboardRuntime {
  const runtime = useContext(RuntimeContext);
  if (!runtime) throw new Error('useRuntime outside a dashboard');
  return runtime;
}
