/**
 * Dashboard states (ThingsBoard's `configuration.states`): the builder's add/rename/delete,
 * the stack of opened states with their params, the `?state=` URL parameter and widget
 * actions of type `openDashboardState`.
 *
 * The URL keeps ThingsBoard's format: `state` is base64 (UTF-8) of a JSON list of
 * `{id, params}`, the root first, so a link copied from either product opens the same state.
 */

import { rootStateId } from './config';
import type { StateParams } from './datasource';
import type { DashboardConfiguration, DashboardState, Widget } from './types';

/** One opened state and the params it was opened with (the entity it shows). */
export interface StateFrame {
  id: string;
  params: StateParams;
}

/** A widget action as ThingsBoard stores it under `config.actions[source]`. */
export interface WidgetAction {
  id: string;
  name: string;
  icon?: string;
  type: 'openDashboardState' | string;
  targetDashboardStateId?: string | null;
  setEntityId?: boolean;
  stateEntityParamName?: string | null;
  [field: string]: unknown;
}

/** Where actions start: a button in the widget's header, or a click on a table row. */
export type ActionSource = 'headerButton' | 'rowClick';

function toBase64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function fromBase64(text: string): string {
  const binary = atob(text);
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

/** The `?state=` value of a stack of states. */
export function encodeStateParam(stack: StateFrame[]): string {
  return toBase64(JSON.stringify(stack.map((f) => ({ id: f.id, params: f.params }))));
}

/** The stack of a `?state=` value; null when it is not one (then the root state shows). */
export function decodeStateParam(value: string | null | undefined): StateFrame[] | null {
  if (!value) return null;
  try {
    const parsed: unknown = JSON.parse(fromBase64(value));
    if (!Array.isArray(parsed) || !parsed.length) return null;
    const frames = parsed.filter((f): f is { id: string; params?: unknown } => typeof f === 'object' && f !== null && typeof f.id === 'string');
    if (frames.length !== parsed.length) return null;
    return frames.map((f) => ({ id: f.id, params: typeof f.params === 'object' && f.params !== null ? (f.params as StateParams) : {} }));
  } catch {
    return null;
  }
}

/** The stack to show: the URL's when its states exist, otherwise the root state alone. */
export function initialStack(config: DashboardConfiguration, param: string | null | undefined): StateFrame[] {
  const decoded = decodeStateParam(param)?.filter((f) => config.states[f.id]);
  return decoded?.length ? decoded : [{ id: rootStateId(config), params: {} }];
}

/**
 * Open a state: the root resets the stack, a state already open goes back to it (with the
 * new params), any other is pushed on top (so "back" returns to where the user came from).
 */
export function openState(config: DashboardConfiguration, stack: StateFrame[], id: string, params: StateParams = {}): StateFrame[] {
  if (!config.states[id]) return stack;
  if (id === rootStateId(config)) return [{ id, params }];
  const at = stack.findIndex((f) => f.id === id);
  if (at >= 0) return [...stack.slice(0, at), { id, params }];
  return [...stack, { id, params }];
}

/** A state id from its name, unique in the configuration (ThingsBoard derives ids so too). */
export function stateIdFor(config: DashboardConfiguration, name: string): string {
  const base = name.trim().toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '') || 'state';
  let id = base;
  for (let n = 2; config.states[id]; n++) id = `${base}_${n}`;
  return id;
}

function emptyState(name: string): DashboardState {
  return { name, root: false, layouts: { main: { widgets: {}, gridSettings: { columns: 24 } } } };
}

/** Add an empty state; returns the configuration and the new state's id. */
export function addState(config: DashboardConfiguration, name: string): [DashboardConfiguration, string] {
  const id = stateIdFor(config, name);
  return [{ ...config, states: { ...config.states, [id]: emptyState(name.trim() || id) } }, id];
}

export function renameState(config: DashboardConfiguration, id: string, name: string): DashboardConfiguration {
  const state = config.states[id];
  if (!state || !name.trim()) return config;
  return { ...config, states: { ...config.states, [id]: { ...state, name: name.trim() } } };
}

/** Make `id` the root state (exactly one state is root). */
export function setRootState(config: DashboardConfiguration, id: string): DashboardConfiguration {
  if (!config.states[id]) return config;
  const states = Object.fromEntries(Object.entries(config.states).map(([k, s]) => [k, { ...s, root: k === id }]));
  return { ...config, states };
}

/** Widgets placed in no state's layout any more. */
function orphans(config: DashboardConfiguration): string[] {
  const placed = new Set<string>();
  for (const state of Object.values(config.states)) for (const id of Object.keys(state.layouts?.main?.widgets ?? {})) placed.add(id);
  return Object.keys(config.widgets).filter((id) => !placed.has(id));
}

/** Delete a state (never the root) and the widgets only it showed; actions to it are left dangling as in ThingsBoard. */
export function deleteState(config: DashboardConfiguration, id: string): DashboardConfiguration {
  if (!config.states[id] || id === rootStateId(config)) return config;
  const states = { ...config.states };
  delete states[id];
  const next = { ...config, states };
  const widgets = { ...config.widgets };
  for (const orphan of orphans(next)) delete widgets[orphan];
  return { ...next, widgets };
}

/**
 * A state's title: ThingsBoard lets state names say `${entityName}` (and `${<param>:entityName}`),
 * filled in from the params the state was opened with.
 */
export function stateTitle(name: string, params: StateParams = {}): string {
  return name.replace(/\$\{(?:([A-Za-z0-9_]+):)?entityName\}/g, (_, param: string | undefined) => {
    const source = param ? (params[param] as StateParams | undefined) : params;
    return typeof source?.entityName === 'string' ? source.entityName : '';
  });
}

/** The states for a switcher, the root first; the shown one titled with its params. */
export function stateOptions(config: DashboardConfiguration, current?: StateFrame): { value: string; label: string }[] {
  const root = rootStateId(config);
  return Object.entries(config.states)
    .sort(([a], [b]) => (a === root ? -1 : b === root ? 1 : 0))
    .map(([value, state]) => ({ value, label: (current?.id === value ? stateTitle(state.name, current.params) : state.name).trim() || value }));
}

/** A widget's actions of one source. */
export function widgetActions(widget: Widget, source: ActionSource): WidgetAction[] {
  const actions = widget.config.actions as Record<string, WidgetAction[] | undefined> | undefined;
  return actions?.[source] ?? [];
}

/** The widget with its actions of `source` replaced. */
export function withActions(widget: Widget, source: ActionSource, list: WidgetAction[]): Widget {
  const actions = { ...((widget.config.actions as Record<string, WidgetAction[]> | undefined) ?? {}), [source]: list };
  if (!list.length) delete actions[source];
  return { ...widget, config: { ...widget.config, actions } };
}

/** The action types that navigate, as ThingsBoard names them. */
export const NAVIGATION_ACTIONS = ['openDashboardState', 'updateDashboardState', 'openDashboard'] as const;

/** Where an action leads: another state of this dashboard, or another dashboard. */
export type Navigation = { kind: 'state'; stack: StateFrame[] } | { kind: 'dashboard'; dashboardId: string; stack: StateFrame[] | null };

/** The params an action passes on for the entity it was used on (its state for `openDashboard`). */
function actionParams(action: WidgetAction, entity: { entityType: string; id: string; name?: string } | null, current: StateParams): StateParams {
  if (action.setEntityId === false || !entity) return {};
  const entityParams: StateParams = { entityId: { entityType: entity.entityType, id: entity.id }, entityName: entity.name };
  return action.stateEntityParamName ? { ...current, [action.stateEntityParamName]: entityParams } : { ...current, ...entityParams };
}

/**
 * What running an action does: `openDashboardState` pushes a state, `updateDashboardState`
 * replaces the shown one, `openDashboard` goes to another dashboard (at a state when named).
 */
export function navigate(
  config: DashboardConfiguration,
  stack: StateFrame[],
  action: WidgetAction,
  entity: { entityType: string; id: string; name?: string } | null,
): Navigation | null {
  const current = stack[stack.length - 1]?.params ?? {};
  if (action.type === 'openDashboard') {
    const dashboardId = action.targetDashboardId;
    if (typeof dashboardId !== 'string' || !dashboardId) return null;
    const target = action.targetDashboardStateId;
    return { kind: 'dashboard', dashboardId, stack: target ? [{ id: target, params: actionParams(action, entity, {}) }] : null };
  }
  const frame = actionTarget(action, entity, current);
  if (!frame || !config.states[frame.id]) return null;
  if (action.type === 'updateDashboardState') {
    return { kind: 'state', stack: frame.id === rootStateId(config) ? [frame] : [...stack.slice(0, -1), frame] };
  }
  return { kind: 'state', stack: openState(config, stack, frame.id, frame.params) };
}

/** The state and params a state action opens, for the entity it was used on. */
export function actionTarget(
  action: WidgetAction,
  entity: { entityType: string; id: string; name?: string } | null,
  current: StateParams,
): StateFrame | null {
  if ((action.type !== 'openDashboardState' && action.type !== 'updateDashboardState') || !action.targetDashboardStateId) return null;
  return { id: action.targetDashboardStateId, params: actionParams(action, entity, current) };
}
