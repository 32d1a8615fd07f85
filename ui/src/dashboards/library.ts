/**
 * The widget library: every widget the builder can add, with its ThingsBoard type name,
 * its kind (what data it needs) and a default size and configuration.
 */

import type { WidgetConfig } from './types';

export type WidgetKind =
  | 'lineChart'
  | 'barChart'
  | 'card'
  | 'gauge'
  | 'entitiesTable'
  | 'alarmTable'
  | 'map'
  | 'rpcButton'
  | 'rpcSwitch'
  | 'attributesForm';

export interface WidgetDescriptor {
  kind: WidgetKind;
  typeFullFqn: string;
  /** ThingsBoard's widget type family. */
  type: 'timeseries' | 'latest' | 'rpc' | 'alarm' | 'static';
  name: string;
  description: string;
  sizeX: number;
  sizeY: number;
  /** The key kinds the data-source editor offers. */
  keyTypes: ('timeseries' | 'attribute')[];
  settings: Record<string, unknown>;
}

export const LIBRARY: WidgetDescriptor[] = [
  { kind: 'lineChart', typeFullFqn: 'system.charts.basic_timeseries', type: 'timeseries', name: 'Line chart', description: 'Time series as lines', sizeX: 12, sizeY: 6, keyTypes: ['timeseries'], settings: {} },
  { kind: 'barChart', typeFullFqn: 'system.charts.timeseries_bars_flot', type: 'timeseries', name: 'Bar chart', description: 'Time series as bars', sizeX: 12, sizeY: 6, keyTypes: ['timeseries'], settings: {} },
  { kind: 'card', typeFullFqn: 'system.cards.value_card', type: 'latest', name: 'Value card', description: 'The latest value of one key', sizeX: 6, sizeY: 4, keyTypes: ['timeseries', 'attribute'], settings: {} },
  { kind: 'gauge', typeFullFqn: 'system.analogue_gauges.radial_gauge', type: 'latest', name: 'Gauge', description: 'The latest value on a dial', sizeX: 6, sizeY: 6, keyTypes: ['timeseries'], settings: { min: 0, max: 100 } },
  { kind: 'entitiesTable', typeFullFqn: 'system.cards.entities_table', type: 'latest', name: 'Entities table', description: 'Entities with their latest values', sizeX: 12, sizeY: 6, keyTypes: ['timeseries', 'attribute'], settings: {} },
  { kind: 'alarmTable', typeFullFqn: 'system.alarm_widgets.alarms_table', type: 'alarm', name: 'Alarm table', description: 'Alarms of the entities', sizeX: 12, sizeY: 6, keyTypes: [], settings: { status: 'ACTIVE' } },
  { kind: 'map', typeFullFqn: 'system.maps_v2.openstreetmap', type: 'latest', name: 'Map', description: 'Markers at latitude/longitude', sizeX: 12, sizeY: 8, keyTypes: ['timeseries', 'attribute'], settings: { tileUrl: '', latitudeKey: 'latitude', longitudeKey: 'longitude' } },
  { kind: 'rpcButton', typeFullFqn: 'system.control_widgets.rpcbutton', type: 'rpc', name: 'RPC button', description: 'Sends a command to a device', sizeX: 4, sizeY: 3, keyTypes: [], settings: { method: 'reboot', params: '{}', oneWay: true, buttonText: 'Send' } },
  { kind: 'rpcSwitch', typeFullFqn: 'system.control_widgets.switch_control', type: 'rpc', name: 'RPC switch', description: 'On/off by RPC, state from an attribute', sizeX: 4, sizeY: 3, keyTypes: [], settings: { setMethod: 'setValue', stateKey: 'value', oneWay: true } },
  { kind: 'attributesForm', typeFullFqn: 'system.input_widgets.update_multiple_attributes', type: 'static', name: 'Attributes form', description: 'Updates shared attributes', sizeX: 6, sizeY: 5, keyTypes: ['attribute'], settings: {} },
];

const BY_KIND = new Map(LIBRARY.map((d) => [d.kind, d]));

/** Other ThingsBoard widget types an imported dashboard may use, drawn by the nearest kind. */
const SIMILAR: Record<string, WidgetKind> = {
  'system.time_series_chart': 'lineChart',
  'system.charts.timeseries_lines_flot': 'lineChart',
  'system.bar_chart_with_labels': 'barChart',
  'system.charts.bars': 'barChart',
  'system.value_card': 'card',
  'system.cards.simple_card': 'card',
  'system.analogue_gauges.radial_gauge_canvas_gauges': 'gauge',
  'system.analogue_gauges.speed_gauge_canvas_gauges': 'gauge',
  'system.digital_gauges.simple_gauge_justgage': 'gauge',
  'system.entities_table': 'entitiesTable',
  'system.alarms_table': 'alarmTable',
  'system.map': 'map',
  'system.maps_v2.tencent_map': 'map',
  'system.control_widgets.round_switch': 'rpcSwitch',
  'system.control_widgets.command_button': 'rpcButton',
  'system.input_widgets.update_shared_attribute': 'attributesForm',
};

const BY_FQN = new Map<string, WidgetDescriptor>([
  ...Object.entries(SIMILAR).map(([fqn, kind]) => [fqn, BY_KIND.get(kind)!] as const),
  ...LIBRARY.map((d) => [d.typeFullFqn, d] as const),
]);

/** The library entry of a stored widget, or undefined for a type this UI does not render. */
export const describeWidget = (typeFullFqn: string): WidgetDescriptor | undefined => BY_FQN.get(typeFullFqn);

export function descriptor(kind: WidgetKind): WidgetDescriptor {
  const found = BY_KIND.get(kind);
  if (!found) throw new Error(`unknown widget kind ${kind}`);
  return found;
}

/** A fresh configuration for a widget of `kind`. */
export function defaultConfig(kind: WidgetKind): WidgetConfig {
  const d = descriptor(kind);
  return { title: d.name, showTitle: true, datasources: [], settings: { ...d.settings } };
}
