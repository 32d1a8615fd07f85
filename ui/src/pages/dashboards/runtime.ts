/**
 * What every widget of an open dashboard shares: the live hub, the time window, the
 * aliases and a cache of entity names. Provided by the dashboard page.
 */

import { createContext, useContext } from 'react';
import type { EntityLookup, ResolvedEntity, StateParams } from '../../dashboards/datasource';
import type { LiveHub } from '../../dashboards/live';
import type { WidgetAction } from '../../dashboards/states';
import type { EntityAlias, Timewindow } from '../../dashboards/types';

export interface DashboardRuntime {
  hub: LiveHub;
  timewindow: Timewindow;
  aliases: Record<string, EntityAlias>;
  lookup: EntityLookup;
  names: Map<string, Promise<string>>;
  /** Whether the user may send RPCs and write attributes (not in edit mode). */
  interactive: boolean;
  /** The params of the shown state (its entity), for state-entity aliases. */
  stateParams: StateParams;
  /** Run a widget action (open a dashboard state) on an entity; ignored while editing. */
  runAction: (action: WidgetAction, entity: ResolvedEntity | null) => void;
}

export const RuntimeContext = createContext<DashboardRuntime | null>(null);

export function useRuntime(): DashboardRuntime {
  const runtime = useContext(RuntimeContext);
  if (!runtime) throw new Error('useRuntime outside a dashboard');
  return runtime;
}
