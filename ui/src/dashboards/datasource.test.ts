import { describe, expect, it } from 'vitest';
import { cachedLookup, entityKey, keyNames, resolveDatasource, resolveWidget, staticEntities, type EntityLookup } from './datasource';
import type { EntityAlias } from './types';

const DEV = 'd1d1d1d1-0000-0000-0000-000000000001';
const DEV2 = 'd1d1d1d1-0000-0000-0000-000000000002';

const calls: string[] = [];
const lookup: EntityLookup = {
  async byNamePrefix(type, prefix) {
    calls.push(`name:${type}:${prefix}`);
    return [{ entityType: type, id: 'n1', name: `${prefix}1` }];
  },
  async byDeviceTypes(types, prefix) {
    calls.push(`types:${types.join(',')}:${prefix}`);
    return [{ entityType: 'DEVICE', id: 't1' }];
  },
};

const aliases: Record<string, EntityAlias> = {
  single: { id: 'single', alias: 'Boiler', filter: { type: 'singleEntity', singleEntity: { entityType: 'DEVICE', id: DEV } } },
  list: { id: 'list', alias: 'Pumps', filter: { type: 'entityList', entityType: 'ASSET', entityList: [DEV, DEV2] } },
  named: { id: 'named', alias: 'By name', filter: { type: 'entityName', entityType: 'DEVICE', entityNameFilter: 'Pump' } },
  typed: { id: 'typed', alias: 'Sensors', filter: { type: 'deviceType', deviceTypes: ['sensor'], deviceNameFilter: '' } },
  odd: { id: 'odd', alias: 'Odd', filter: { type: 'relationsQuery' } },
};

const temp = { name: 'temperature', type: 'timeseries' as const };

describe('data-source resolution', () => {
  it('resolves a device chosen directly', async () => {
    const resolved = await resolveDatasource({ type: 'device', deviceId: DEV, dataKeys: [temp] }, aliases, lookup);
    expect(resolved).toEqual({ entities: [{ entityType: 'DEVICE', id: DEV }], keys: [temp] });
  });

  it('resolves single-entity and entity-list aliases without the API', async () => {
    calls.length = 0;
    const [one, many] = await resolveWidget(
      [
        { type: 'entity', entityAliasId: 'single', dataKeys: [temp] },
        { type: 'entity', entityAliasId: 'list', dataKeys: [] },
      ],
      aliases,
      lookup,
    );
    expect(one!.entities).toEqual([{ entityType: 'DEVICE', id: DEV }]);
    expect(many!.entities.map(entityKey)).toEqual([`ASSET:${DEV}`, `ASSET:${DEV2}`]);
    expect(calls).toEqual([]);
  });

  it('asks the lookup for name and device-type aliases', async () => {
    calls.length = 0;
    const named = await resolveDatasource({ type: 'entity', entityAliasId: 'named', dataKeys: [] }, aliases, lookup);
    const typed = await resolveDatasource({ type: 'entity', entityAliasId: 'typed', dataKeys: [] }, aliases, lookup);
    expect(named.entities[0]!.name).toBe('Pump1');
    expect(typed.entities[0]!.id).toBe('t1');
    expect(calls).toEqual(['name:DEVICE:Pump', 'types:sensor:']);
  });

  it('reports unknown aliases, missing devices and unsupported filters', async () => {
    expect((await resolveDatasource({ type: 'entity', entityAliasId: 'gone', dataKeys: [] }, aliases, lookup)).problem).toBe(
      'Unknown entity alias',
    );
    expect((await resolveDatasource({ type: 'device', dataKeys: [] }, aliases, lookup)).problem).toBe('No device chosen');
    const odd = await resolveDatasource({ type: 'entity', entityAliasId: 'odd', dataKeys: [] }, aliases, lookup);
    expect(odd.entities).toEqual([]);
    expect(odd.problem).toContain('relationsQuery');
    expect(staticEntities({ type: 'singleEntity' })).toEqual([]);
  });

  it('collects key names by kind, once each', () => {
    const sources = [
      { entities: [], keys: [temp, { name: 'mode', type: 'attribute' as const }] },
      { entities: [], keys: [temp, { name: 'humidity', type: 'timeseries' as const }] },
    ];
    expect(keyNames(sources, 'timeseries')).toEqual(['temperature', 'humidity']);
    expect(keyNames(sources, 'attribute')).toEqual(['mode']);
  });
});

describe('cached lookup', () => {
  it('asks the API once per alias question, again after a failure', async () => {
    let asked = 0;
    let fail = true;
    const cached = cachedLookup({
      async byNamePrefix() {
        asked += 1;
        if (fail) throw new Error('down');
        return [{ entityType: 'DEVICE', id: 'x' }];
      },
      async byDeviceTypes() {
        asked += 1;
        return [];
      },
    });
    await expect(cached.byNamePrefix('DEVICE', 'P')).rejects.toThrow('down');
    fail = false;
    const [a, b] = await Promise.all([cached.byNamePrefix('DEVICE', 'P'), cached.byNamePrefix('DEVICE', 'P')]);
    expect(a).toBe(b);
    await cached.byDeviceTypes(['s'], '');
    await cached.byDeviceTypes(['s'], '');
    expect(asked).toBe(3);
  });
});
