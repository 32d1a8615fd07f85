import { describe, expect, it } from 'vitest';
import { bulkRows, countOf } from './bulk';

describe('bulkRows', () => {
  it('reports every requested row in order, named, with the reason of a failure', () => {
    const names = new Map([
      ['a', 'Pump'],
      ['b', 'Valve'],
    ]);
    const rows = bulkRows(['b', 'a', 'c'], names, { succeeded: ['a'], errors: [{ id: 'b', error: 'Device is not assigned' }] }, 'Unassigned');
    expect(rows).toEqual([
      { id: 'b', name: 'Valve', ok: false, message: 'Device is not assigned' },
      { id: 'a', name: 'Pump', ok: true, message: 'Unassigned' },
      { id: 'c', name: 'c', ok: false, message: 'Not processed' },
    ]);
  });
  it('counts with a plural', () => {
    expect(countOf(1, 'device')).toBe('1 device');
    expect(countOf(3, 'device')).toBe('3 devices');
  });
});
