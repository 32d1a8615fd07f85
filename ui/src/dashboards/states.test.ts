import { describe, expect, it } from 'vitest';
import { addWidget, copyWidgetToState, emptyConfiguration, gridItems, layoutOf, normalizeConfiguration, removeWidget } from './config';
import {
  actionTarget,
  addState,
  decodeStateParam,
  deleteState,
  encodeStateParam,
  initialStack,
  navigate,
  openState,
  renameState,
  setRootState,
  stateOptions,
  stateTitle,
  widgetActions,
  withActions,
  type WidgetAction,
} from './states';

const DEV = 'd1d1d1d1-0000-0000-0000-000000000001';

function twoStates() {
  const [withState, details] = addState(emptyConfiguration(), 'Device details');
  const [one] = addWidget(withState, 'entitiesTable', 'table');
  const [two] = addWidget(one, 'card', 'card', details);
  return { config: two, details };
}

describe('dashboard states', () => {
  it('adds states with ids from their names, renames and re-roots them', () => {
    const { config, details } = twoStates();
    expect(details).toBe('device_details');
    expect(addState(config, 'Device details')[1]).toBe('device_details_2');
    expect(stateOptions(config)).toEqual([
      { value: 'default', label: 'Main' },
      { value: 'device_details', label: 'Device details' },
    ]);
    const renamed = renameState(config, details, 'Pump');
    expect(renamed.states[details]!.name).toBe('Pump');
    expect(renameState(config, details, '  ')).toBe(config);
    const rerooted = setRootState(config, details);
    expect(Object.entries(rerooted.states).filter(([, s]) => s.root).map(([id]) => id)).toEqual([details]);
    expect(stateOptions(rerooted)[0]!.value).toBe(details);
  });

  it('keeps each state its own widgets', () => {
    const { config, details } = twoStates();
    expect(gridItems(config).map((i) => i.i)).toEqual(['table']);
    expect(gridItems(config, details).map((i) => i.i)).toEqual(['card']);
    expect(Object.keys(layoutOf(config, details))).toEqual(['card']);
    // Normalising a stored configuration does not pull other states' widgets into the root.
    const again = normalizeConfiguration(JSON.parse(JSON.stringify(config)));
    expect(gridItems(again).map((i) => i.i)).toEqual(['table']);
  });

  it('removes a widget from one state, and the widget once no state shows it', () => {
    const { config, details } = twoStates();
    const shared = {
      ...config,
      states: {
        ...config.states,
        [details]: {
          ...config.states[details]!,
          layouts: { main: { widgets: { ...layoutOf(config, details), table: { sizeX: 4, sizeY: 4, row: 9, col: 0 } } } },
        },
      },
    };
    const offRoot = removeWidget(shared, 'table');
    expect(offRoot.widgets.table).toBeDefined();
    expect(gridItems(offRoot).map((i) => i.i)).toEqual([]);
    expect(removeWidget(offRoot, 'table', details).widgets.table).toBeUndefined();
  });

  it('copies a widget into another state as a widget of its own', () => {
    const { config, details } = twoStates();
    const [copied, id] = copyWidgetToState(config, 'table', details, 'copy');
    expect(id).toBe('copy');
    expect(gridItems(copied, details).map((i) => i.i)).toEqual(['card', 'copy']);
    expect(copied.widgets.copy!.config).toEqual(config.widgets.table!.config);
    expect(copied.widgets.copy!.config).not.toBe(config.widgets.table!.config);
    expect(layoutOf(copied, details).copy).toMatchObject({ sizeX: config.widgets.table!.sizeX, row: 0 });
    expect(gridItems(copied).map((i) => i.i)).toEqual(['table']);
    expect(copyWidgetToState(config, 'table', 'missing')[0]).toBe(config);
  });

  it('deletes a state with its own widgets, never the root', () => {
    const { config, details } = twoStates();
    const deleted = deleteState(config, details);
    expect(Object.keys(deleted.states)).toEqual(['default']);
    expect(Object.keys(deleted.widgets)).toEqual(['table']);
    expect(deleteState(config, 'default')).toBe(config);
  });
});

describe('state titles', () => {
  it("fills ThingsBoard's entity name placeholders from the params", () => {
    const params = { entityName: 'Pump B', site: { entityName: 'North' } };
    expect(stateTitle('${entityName} details', params)).toBe('Pump B details');
    expect(stateTitle('${site:entityName} / ${entityName}', params)).toBe('North / Pump B');
    expect(stateTitle('${entityName} details', {})).toBe(' details');
    const [config, id] = addState(emptyConfiguration(), 'x');
    const named = renameState(config, id, '${entityName} details');
    expect(stateOptions(named, { id, params })[1]).toEqual({ value: id, label: 'Pump B details' });
    expect(stateOptions(named)[1]).toEqual({ value: id, label: '${entityName} details' });
  });
});

describe('state stack and URL', () => {
  it('round-trips the state parameter as base64 JSON, UTF-8 included', () => {
    const stack = [
      { id: 'default', params: {} },
      { id: 'details', params: { entityId: { entityType: 'DEVICE', id: DEV }, entityName: 'Kessel Süd ✓' } },
    ];
    const encoded = encodeStateParam(stack);
    expect(JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0))))).toEqual(stack);
    expect(decodeStateParam(encoded)).toEqual(stack);
    expect(decodeStateParam('not base64 json')).toBeNull();
    expect(decodeStateParam(btoa('[{"nope":1}]'))).toBeNull();
    expect(decodeStateParam(null)).toBeNull();
  });

  it('starts at the root unless the URL names existing states', () => {
    const { config, details } = twoStates();
    expect(initialStack(config, null)).toEqual([{ id: 'default', params: {} }]);
    expect(initialStack(config, encodeStateParam([{ id: 'gone', params: {} }]))).toEqual([{ id: 'default', params: {} }]);
    const deep = [{ id: 'default', params: {} }, { id: details, params: { entityName: 'x' } }];
    expect(initialStack(config, encodeStateParam(deep))).toEqual(deep);
  });

  it('pushes states, goes back to an open one, resets at the root', () => {
    const [config] = addState(twoStates().config, 'Other');
    const root = [{ id: 'default', params: {} }];
    const one = openState(config, root, 'device_details', { entityName: 'a' });
    expect(one.map((f) => f.id)).toEqual(['default', 'device_details']);
    const two = openState(config, one, 'other');
    expect(two.map((f) => f.id)).toEqual(['default', 'device_details', 'other']);
    expect(openState(config, two, 'device_details', { entityName: 'b' })).toEqual([...root, { id: 'device_details', params: { entityName: 'b' } }]);
    expect(openState(config, two, 'default')).toEqual(root);
    expect(openState(config, two, 'missing')).toBe(two);
  });

  it('turns an openDashboardState action on an entity into the next frame', () => {
    const action: WidgetAction = { id: 'a', name: 'Details', type: 'openDashboardState', targetDashboardStateId: 'details', setEntityId: true };
    const pump = { entityType: 'DEVICE', id: DEV, name: 'Pump' };
    expect(actionTarget(action, pump, { keep: 1 })).toEqual({
      id: 'details',
      params: { keep: 1, entityId: { entityType: 'DEVICE', id: DEV }, entityName: 'Pump' },
    });
    expect(actionTarget({ ...action, stateEntityParamName: 'pump' }, pump, {})).toEqual({
      id: 'details',
      params: { pump: { entityId: { entityType: 'DEVICE', id: DEV }, entityName: 'Pump' } },
    });
    expect(actionTarget({ ...action, setEntityId: false }, pump, { keep: 1 })).toEqual({ id: 'details', params: {} });
    expect(actionTarget({ ...action, type: 'openURL' }, pump, {})).toBeNull();
  });

  it('pushes, replaces or leaves the dashboard by action type', () => {
    const [config] = addState(twoStates().config, 'Other');
    const pump = { entityType: 'DEVICE', id: DEV, name: 'Pump' };
    const root = [{ id: 'default', params: {} }];
    const base: WidgetAction = { id: 'a', name: 'Go', type: 'openDashboardState', targetDashboardStateId: 'device_details' };
    const pushed = navigate(config, root, base, pump);
    expect(pushed).toEqual({ kind: 'state', stack: [...root, { id: 'device_details', params: { entityId: { entityType: 'DEVICE', id: DEV }, entityName: 'Pump' } }] });
    if (pushed?.kind !== 'state') throw new Error('expected a state');
    const replaced = navigate(config, pushed.stack, { ...base, type: 'updateDashboardState', targetDashboardStateId: 'other', setEntityId: false }, pump);
    expect(replaced).toEqual({ kind: 'state', stack: [...root, { id: 'other', params: {} }] });
    expect(navigate(config, root, { ...base, targetDashboardStateId: 'missing' }, pump)).toBeNull();
    expect(navigate(config, pushed.stack, { ...base, type: 'openDashboard', targetDashboardId: 'd2', targetDashboardStateId: 'site' }, pump)).toEqual({
      kind: 'dashboard',
      dashboardId: 'd2',
      stack: [{ id: 'site', params: { entityId: { entityType: 'DEVICE', id: DEV }, entityName: 'Pump' } }],
    });
    expect(navigate(config, root, { ...base, type: 'openDashboard', targetDashboardId: 'd2', targetDashboardStateId: null }, pump)).toEqual({ kind: 'dashboard', dashboardId: 'd2', stack: null });
    expect(navigate(config, root, { ...base, type: 'openDashboard' }, pump)).toBeNull();
  });

  it('stores widget actions by source', () => {
    const [config] = addWidget(emptyConfiguration(), 'entitiesTable', 'w');
    const action: WidgetAction = { id: 'a', name: 'Details', type: 'openDashboardState', targetDashboardStateId: 'details' };
    const widget = withActions(config.widgets.w!, 'rowClick', [action]);
    expect(widgetActions(widget, 'rowClick')).toEqual([action]);
    expect(widgetActions(widget, 'headerButton')).toEqual([]);
    expect(widgetActions(withActions(widget, 'rowClick', []), 'rowClick')).toEqual([]);
  });
});
