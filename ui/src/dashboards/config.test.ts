import { describe, expect, it } from 'vitest';
import { addWidget, applyGrid, deviceAlias, emptyConfiguration, freeSpot, gridItems, importBody, layoutOf, normalizeConfiguration, removeWidget } from './config';

describe('dashboard configuration', () => {
  it('adds widgets keyed by id with their layout in the default state', () => {
    const [one, a] = addWidget(emptyConfiguration(), 'lineChart', 'a');
    const [two, b] = addWidget(one, 'card', 'b');
    expect(Object.keys(two.widgets)).toEqual([a, b]);
    expect(two.widgets.a!.typeFullFqn).toBe('system.charts.basic_timeseries');
    expect(layoutOf(two)).toEqual({
      a: { sizeX: 12, sizeY: 6, row: 0, col: 0 },
      b: { sizeX: 6, sizeY: 4, row: 0, col: 12 },
    });
    expect(two.states.default!.layouts.main.widgets).toBe(layoutOf(two));
  });

  it('places new widgets in the first free spot', () => {
    expect(freeSpot([], 12, 6)).toEqual({ row: 0, col: 0 });
    const taken = [
      { sizeX: 12, sizeY: 6, row: 0, col: 0 },
      { sizeX: 12, sizeY: 4, row: 0, col: 12 },
    ];
    expect(freeSpot(taken, 12, 2)).toEqual({ row: 4, col: 12 });
    expect(freeSpot(taken, 24, 2)).toEqual({ row: 6, col: 0 });
  });

  it('writes grid moves back and removes widgets with their layout', () => {
    const [config] = addWidget(emptyConfiguration(), 'gauge', 'g');
    const moved = applyGrid(config, [{ i: 'g', x: 3, y: 2, w: 5, h: 7 }]);
    expect(gridItems(moved)).toEqual([{ i: 'g', x: 3, y: 2, w: 5, h: 7 }]);
    expect(moved.widgets.g!.sizeX).toBe(5);
    const removed = removeWidget(moved, 'g');
    expect(removed.widgets).toEqual({});
    expect(layoutOf(removed)).toEqual({});
  });

  it('reuses one alias per device', () => {
    const [config, id] = deviceAlias(emptyConfiguration(), 'dev-1', 'Boiler');
    const [again, same] = deviceAlias(config, 'dev-1', 'Boiler');
    expect(same).toBe(id);
    expect(again).toBe(config);
    expect(config.entityAliases[id]!.filter).toEqual({ type: 'singleEntity', singleEntity: { entityType: 'DEVICE', id: 'dev-1' } });
  });

  it('imports a ThingsBoard file, laying out widgets that have no position', () => {
    const text = JSON.stringify({
      title: 'Imported',
      configuration: {
        widgets: {
          x: { id: 'x', typeFullFqn: 'system.cards.value_card', sizeX: 4, sizeY: 3, config: {} },
          y: { typeFullFqn: 'system.cards.value_card', sizeX: 4, sizeY: 3, config: {} },
        },
        states: { main: { name: 'Main', root: true, layouts: { main: { widgets: {} } } } },
        extra: { kept: true },
      },
    });
    const body = importBody(text);
    expect(body.title).toBe('Imported');
    expect(body.configuration.extra).toEqual({ kept: true });
    expect(layoutOf(body.configuration)).toEqual({
      x: { sizeX: 4, sizeY: 3, row: 0, col: 0 },
      y: { sizeX: 4, sizeY: 3, row: 0, col: 4 },
    });
    expect(body.configuration.widgets.y!.id).toBe('y');
    expect(body.configuration.widgets.x!.config.datasources).toEqual([]);
    expect(() => importBody('{"configuration": {}}')).toThrow('title');
    expect(normalizeConfiguration(null).states.default!.root).toBe(true);
  });
});
