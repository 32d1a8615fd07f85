/**
 * ThingsBoard's dashboard JSON (spec §3.3), only the parts the builder reads and writes.
 * Anything else in an imported dashboard is kept as it is (the types are open).
 */

import type { EntityId } from '../api/types';

export type DataKeyType = 'timeseries' | 'attribute' | 'entityField';

export interface DataKey {
  name: string;
  type: DataKeyType;
  label?: string;
  units?: string;
  decimals?: number;
  [field: string]: unknown;
}

/**
 * Where a widget's data comes from: an entity alias (`type: 'entity'`) or one device
 * chosen directly (`type: 'device'`, as ThingsBoard 3.5+ stores it).
 */
export interface Datasource {
  type: 'entity' | 'device' | string;
  entityAliasId?: string | null;
  deviceId?: string | null;
  dataKeys: DataKey[];
  [field: string]: unknown;
}

export interface EntityFilter {
  type: 'singleEntity' | 'entityList' | 'entityName' | 'deviceType' | string;
  singleEntity?: EntityId<string>;
  entityType?: string;
  entityList?: string[];
  entityNameFilter?: string;
  deviceTypes?: string[];
  deviceType?: string;
  deviceNameFilter?: string;
  [field: string]: unknown;
}

export interface EntityAlias {
  id: string;
  alias: string;
  filter: EntityFilter;
  [field: string]: unknown;
}

export interface WidgetConfig {
  title?: string;
  showTitle?: boolean;
  units?: string;
  decimals?: number;
  datasources: Datasource[];
  settings?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface Widget {
  id: string;
  typeFullFqn: string;
  type?: string;
  sizeX: number;
  sizeY: number;
  row?: number;
  col?: number;
  config: WidgetConfig;
  [field: string]: unknown;
}

export interface WidgetLayout {
  sizeX: number;
  sizeY: number;
  row: number;
  col: number;
  [field: string]: unknown;
}

export interface DashboardState {
  name: string;
  root: boolean;
  layouts: { main: { widgets: Record<string, WidgetLayout>; gridSettings?: Record<string, unknown> } };
  [field: string]: unknown;
}

export interface Timewindow {
  selectedTab?: 0 | 1;
  realtime?: { realtimeType?: number; timewindowMs: number; [field: string]: unknown };
  history?: {
    historyType?: number;
    timewindowMs?: number;
    fixedTimewindow?: { startTimeMs: number; endTimeMs: number };
    [field: string]: unknown;
  };
  aggregation?: { type?: string; limit?: number; [field: string]: unknown };
  [field: string]: unknown;
}

export interface DashboardConfiguration {
  description?: string;
  widgets: Record<string, Widget>;
  states: Record<string, DashboardState>;
  entityAliases: Record<string, EntityAlias>;
  filters?: Record<string, unknown>;
  timewindow: Timewindow;
  settings: Record<string, unknown>;
  [field: string]: unknown;
}

export interface ShortCustomerInfo {
  customerId: EntityId<'CUSTOMER'>;
  title?: string | null;
  public?: boolean;
}

export interface Dashboard {
  id?: EntityId<'DASHBOARD'>;
  createdTime?: number;
  title: string;
  name?: string;
  image?: string | null;
  assignedCustomers?: ShortCustomerInfo[];
  configuration?: DashboardConfiguration | null;
  version?: number | null;
  [field: string]: unknown;
}
