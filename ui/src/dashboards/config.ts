/**
 * Editing a dashboard configuration in ThingsBoard's shape: widgets keyed by id in
 * `configuration.widgets`, their grid positions per state in
 * `states.<state>.layouts.main.widgets` (the root state unless a state is named; states
 * themselves are in `states.ts`). All functions return new objects (React state), never mutate.
 */

import { defaultConfig, descriptor, type WidgetKind } from './library';
import { DEFAULT_TIMEWINDOW } from './timewindow';
import type { DashboardConfiguration, DashboardState, Timewindow, Widget, WidgetLayout } from './types';

export const GRID_COLUMNS = 24;
export const DEFAULT_STATE = 'default';

export interface GridItem {
  i: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

export function emptyConfiguration(): DashboardConfiguration {
  return {
    widgets: {},
    states: { [DEFAULT_STATE]: emptyState() },
    entityAliases: {},
    filters: {},
    timewindow: structuredClone(DEFAULT_TIMEWINDOW),
    settings: { stateControllerId: 'entity', showTitle: false, showDashboardTimewindow: true },
  };
}

function emptyState(): DashboardState {
  return { name: 'Main', root: true, layouts: { main: { widgets: {}, gridSettings: { columns: GRID_COLUMNS } } } };
}

/** A configuration as stored or imported, with every part the builder relies on present. */
export function normalizeConfiguration(raw: unknown): DashboardConfiguration {
  const base = emptyConfiguration();
  if (typeof raw !== 'object' || raw === null) return base;
  const given = raw as Partial<DashboardConfiguration>;
  const config: DashboardConfiguration = {
    ...base,
    ...given,
    widgets: { ...(given.widgets ?? {}) },
    states: { ...(given.states ?? {}) },
    entityAliases: { ...(given.entityAliases ?? {}) },
    timewindow: given.timewindow ?? base.timewindow,
    settings: given.settings ?? base.settings,
  };
  const state = rootStateId(config);
  const current = config.states[state] ?? emptyState();
  const layout = { ...(current.layouts?.main?.widgets ?? {}) };
  for (const [id, widget] of Object.entries(config.widgets)) {
    config.widgets[id] = { ...widget, id: widget.id ?? id, config: { ...widget.config, datasources: widget.config?.datasources ?? [] } };
  }
  const placed = new Set<string>();
  for (const other of Object.values(config.states)) for (const id of Object.keys(other.layouts?.main?.widgets ?? {})) placed.add(id);
  for (const widget of Object.values(config.widgets)) {
    if (layout[widget.id] || placed.has(widget.id)) continue; // widgets of no state go to the root
    const sizeX = widget.sizeX ?? 8;
    const sizeY = widget.sizeY ?? 6;
    layout[widget.id] = { sizeX, sizeY, ...freeSpot(Object.values(layout), sizeX, sizeY) };
  }
  config.states[state] = { ...current, layouts: { ...current.layouts, main: { ...current.layouts?.main, widgets: layout } } };
  return config;
}

/** The state shown first: the one marked root, else `default`, else the first. */
export function rootStateId(config: DashboardConfiguration): string {
  const entries = Object.entries(config.states);
  return entries.find(([, s]) => s.root)?.[0] ?? (config.states[DEFAULT_STATE] ? DEFAULT_STATE : entries[0]?.[0] ?? DEFAULT_STATE);
}

/** The widget positions of a state (the root state by default). */
export function layoutOf(config: DashboardConfiguration, stateId = rootStateId(config)): Record<string, WidgetLayout> {
  return config.states[stateId]?.layouts?.main?.widgets ?? {};
}

/** The grid items of one state's widgets (react-grid-layout's shape). */
export function gridItems(config: DashboardConfiguration, stateId = rootStateId(config)): GridItem[] {
  const layout = layoutOf(config, stateId);
  return Object.values(config.widgets)
    .filter((w) => layout[w.id])
    .map((w) => {
      const l = layout[w.id]!;
      return { i: w.id, x: l.col, y: l.row, w: l.sizeX, h: l.sizeY };
    });
}

function withLayout(config: DashboardConfiguration, layout: Record<string, WidgetLayout>, id = rootStateId(config)): DashboardConfiguration {
  const state = config.states[id] ?? emptyState();
  return {
    ...config,
    states: { ...config.states, [id]: { ...state, layouts: { ...state.layouts, main: { ...state.layouts?.main, widgets: layout } } } },
  };
}

/** Store moved/resized grid items back into the layout (and the widgets' own sizes). */
export function applyGrid(config: DashboardConfiguration, items: readonly GridItem[], stateId = rootStateId(config)): DashboardConfiguration {
  const layout = { ...layoutOf(config, stateId) };
  const widgets = { ...config.widgets };
  for (const item of items) {
    const widget = widgets[item.i];
    if (!widget) continue;
    layout[item.i] = { ...layout[item.i], sizeX: item.w, sizeY: item.h, row: item.y, col: item.x };
    widgets[item.i] = { ...widget, sizeX: item.w, sizeY: item.h, row: item.y, col: item.x };
  }
  return withLayout({ ...config, widgets }, layout, stateId);
}

/** A new id, unique enough for widget and alias keys. */
export function newId(): string {
  return typeof crypto !== 'undefined' && 'randomUUID' in crypto
    ? crypto.randomUUID()
    : `${Date.now().toString(16)}-${Math.random().toString(16).slice(2)}`;
}

/** The first free place (top to bottom, left to right) for a `w`×`h` widget. */
export function freeSpot(taken: WidgetLayout[], w: number, h: number, columns = GRID_COLUMNS): { row: number; col: number } {
  const width = Math.min(w, columns);
  const overlaps = (row: number, col: number) =>
    taken.some((l) => col < l.col + l.sizeX && l.col < col + width && row < l.row + l.sizeY && l.row < row + h);
  const bottom = taken.reduce((m, l) => Math.max(m, l.row + l.sizeY), 0);
  for (let row = 0; row <= bottom; row++) {
    for (let col = 0; col + width <= columns; col++) if (!overlaps(row, col)) return { row, col };
  }
  return { row: bottom, col: 0 };
}

/** Add a widget of `kind` at the first free place; returns the new configuration and its id. */
export function addWidget(
  config: DashboardConfiguration,
  kind: WidgetKind,
  id = newId(),
  stateId = rootStateId(config),
): [DashboardConfiguration, string] {
  const d = descriptor(kind);
  const layout = layoutOf(config, stateId);
  const { row, col } = freeSpot(Object.values(layout), d.sizeX, d.sizeY);
  const widget: Widget = { id, typeFullFqn: d.typeFullFqn, type: d.type, sizeX: d.sizeX, sizeY: d.sizeY, row, col, config: defaultConfig(kind) };
  const next = withLayout({ ...config, widgets: { ...config.widgets, [id]: widget } }, {
    ...layout,
    [id]: { sizeX: d.sizeX, sizeY: d.sizeY, row, col },
  }, stateId);
  return [next, id];
}

export function updateWidget(config: DashboardConfiguration, widget: Widget): DashboardConfiguration {
  return { ...config, widgets: { ...config.widgets, [widget.id]: widget } };
}

/** Take a widget off one state; the widget itself goes when no other state shows it. */
export function removeWidget(config: DashboardConfiguration, id: string, stateId = rootStateId(config)): DashboardConfiguration {
  const layout = { ...layoutOf(config, stateId) };
  delete layout[id];
  const next = withLayout(config, layout, stateId);
  if (Object.values(next.states).some((s) => s.layouts?.main?.widgets?.[id])) return next;
  const widgets = { ...config.widgets };
  delete widgets[id];
  return { ...next, widgets };
}

export function setTimewindow(config: DashboardConfiguration, timewindow: Timewindow): DashboardConfiguration {
  return { ...config, timewindow };
}

/** A single-device alias for `deviceId` (reused when one exists). */
export function deviceAlias(config: DashboardConfiguration, deviceId: string, name: string): [DashboardConfiguration, string] {
  const existing = Object.values(config.entityAliases).find(
    (a) => a.filter.type === 'singleEntity' && a.filter.singleEntity?.id === deviceId,
  );
  if (existing) return [config, existing.id];
  const id = newId();
  const alias = { id, alias: name, filter: { type: 'singleEntity', singleEntity: { entityType: 'DEVICE', id: deviceId } }, resolveMultiple: false };
  return [{ ...config, entityAliases: { ...config.entityAliases, [id]: alias } }, id];
}

/** The export file: ThingsBoard's dashboard JSON without ids that bind it to this tenant. */
export function exportFile(dashboard: { title: string; image?: string | null; configuration?: unknown }): Record<string, unknown> {
  return { title: dashboard.title, image: dashboard.image ?? null, configuration: dashboard.configuration ?? emptyConfiguration(), name: dashboard.title };
}

/** The body to create a dashboard from an imported file's text. */
export function importBody(text: string): { title: string; configuration: DashboardConfiguration; image?: string | null } {
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null) throw new Error('Not a dashboard file');
  const file = parsed as { title?: unknown; name?: unknown; configuration?: unknown; image?: unknown };
  const title = typeof file.title === 'string' ? file.title : typeof file.name === 'string' ? file.name : '';
  if (!title.trim()) throw new Error('The file has no dashboard title');
  return { title, configuration: normalizeConfiguration(file.configuration), image: typeof file.image === 'string' ? file.image : null };
}

/** A copy of a widget (new id, same configuration and size) at the first free place of a state. */
export function copyWidgetToState(config: DashboardConfiguration, widgetId: string, stateId: string, id = newId()): [DashboardConfiguration, string] {
  const widget = config.widgets[widgetId];
  if (!widget || !config.states[stateId]) return [config, widgetId];
  const layout = layoutOf(config, stateId);
  const { row, col } = freeSpot(Object.values(layout), widget.sizeX, widget.sizeY);
  const copy: Widget = { ...structuredClone(widget), id, row, col };
  const next = withLayout({ ...config, widgets: { ...config.widgets, [id]: copy } }, {
    ...layout,
    [id]: { sizeX: widget.sizeX, sizeY: widget.sizeY, row, col },
  }, stateId);
  return [next, id];
}
