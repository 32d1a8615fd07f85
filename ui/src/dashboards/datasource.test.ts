import { describe, expect, it } from 'vitest';
import {
  cachedLookup,
  entitiesOfPage,
  entityKey,
  entityQueryBody,
  keyNames,
  resolveDatasource,
  resolveWidget,
  serverFilter,
  staticEntities,
  type EntityLookup,
} from './datasource';
import type { EntityAlias, EntityFilter } from './types';

const DEV = 'd1d1d1d1-0000-0000-0000-000000000001';
const DEV2 = 'd1d1d1d1-0000-0000-0000-000000000002';
const ASSET = 'a1a1a1a1-0000-0000-0000-000000000001';

const asked: EntityFilter[] = [];
const lookup: EntityLookup = {
  async find(filter) {
    asked.push(filter);
    if (filter.type === 'bogus') throw new Error('Unsupported entity filter type: bogus');
    return [
      { entityType: 'DEVICE', id: 'n1', name: 'Pump1' },
      { entityType: 'DEVICE', id: 'n2', name: 'Pump2' },
    ];
  },
};

const aliases: Record<string, EntityAlias> = {
  single: { id: 'single', alias: 'Boiler', filter: { type: 'singleEntity', singleEntity: { entityType: 'DEVICE', id: DEV } } },
  list: { id: 'list', alias: 'Pumps', filter: { type: 'entityList', entityType: 'ASSET', entityList: [DEV, DEV2] } },
  named: { id: 'named', alias: 'By name', filter: { type: 'entityName', entityType: 'DEVICE', entityNameFilter: 'Pump' } },
  first: { id: 'first', alias: 'First pump', resolveMultiple: false, filter: { type: 'entityName', entityType: 'DEVICE', entityNameFilter: 'Pump' } },
  typed: { id: 'typed', alias: 'Sensors', filter: { type: 'deviceType', deviceTypes: ['sensor'], deviceNameFilter: '' } },
  state: { id: 'state', alias: 'Selected', filter: { type: 'stateEntity', stateEntityParamName: null } },
  related: {
    id: 'related',
    alias: 'In the building',
    filter: { type: 'relationsQuery', rootStateEntity: true, direction: 'FROM', maxLevel: 1, filters: [{ relationType: 'Contains', entityTypes: ['DEVICE'] }] },
  },
  odd: { id: 'odd', alias: 'Odd', filter: { type: 'bogus' } },
};

const temp = { name: 'temperature', type: 'timeseries' as const };
const entity = (alias: string, params?: Record<string, unknown>) =>
  resolveDatasource({ type: 'entity', entityAliasId: alias, dataKeys: [] }, aliases, lookup, params);

describe('data-source resolution', () => {
  it('resolves a device chosen directly', async () => {
    const resolved = await resolveDatasource({ type: 'device', deviceId: DEV, dataKeys: [temp] }, aliases, lookup);
    expect(resolved).toEqual({ entities: [{ entityType: 'DEVICE', id: DEV }], keys: [temp] });
  });

  it('resolves single-entity and entity-list aliases without the API', async () => {
    asked.length = 0;
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
    expect(asked).toEqual([]);
  });

  it('sends other filters to the entity query as they are, one entity when not multiple', async () => {
    asked.length = 0;
    expect((await entity('named')).entities.map((e) => e.name)).toEqual(['Pump1', 'Pump2']);
    expect((await entity('first')).entities.map((e) => e.name)).toEqual(['Pump1']);
    await entity('typed');
    expect(asked).toEqual([aliases.named!.filter, aliases.first!.filter, aliases.typed!.filter]);
  });

  it('takes the state entity from the state params, by param name or the default entity', async () => {
    const params = { entityId: { entityType: 'ASSET', id: ASSET }, entityName: 'Building 1', pump: { entityId: { entityType: 'DEVICE', id: DEV } } };
    expect((await entity('state', params)).entities).toEqual([{ entityType: 'ASSET', id: ASSET, name: 'Building 1' }]);
    expect(staticEntities({ type: 'stateEntity', stateEntityParamName: 'pump' }, params)).toEqual([{ entityType: 'DEVICE', id: DEV, name: undefined }]);
    expect(staticEntities({ type: 'stateEntity' }, {})).toEqual([]);
    expect(staticEntities({ type: 'stateEntity', defaultStateEntity: { entityType: 'DEVICE', id: DEV2 } }, {})).toEqual([{ entityType: 'DEVICE', id: DEV2 }]);
  });

  it('roots a relations query at the state entity, or resolves nothing without one', async () => {
    asked.length = 0;
    const params = { entityId: { entityType: 'ASSET', id: ASSET } };
    await entity('related', params);
    expect(asked[0]).toMatchObject({ type: 'relationsQuery', rootStateEntity: false, rootEntity: { entityType: 'ASSET', id: ASSET }, maxLevel: 1 });
    expect((await entity('related', {})).entities).toEqual([]);
    expect(asked).toHaveLength(1);
    const fixed = { type: 'relationsQuery', rootEntity: { entityType: 'ASSET', id: ASSET } };
    expect(serverFilter(fixed, {})).toBe(fixed);
  });

  it('reports unknown aliases, missing devices and filters the server refuses', async () => {
    expect((await entity('gone')).problem).toBe('Unknown entity alias');
    expect((await resolveDatasource({ type: 'device', dataKeys: [] }, aliases, lookup)).problem).toBe('No device chosen');
    const odd = await entity('odd');
    expect(odd.entities).toEqual([]);
    expect(odd.problem).toContain('bogus');
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

describe('entity query wire', () => {
  it('asks for names sorted by name and reads them back', () => {
    const filter = { type: 'entityName', entityType: 'DEVICE', entityNameFilter: 'P' };
    expect(entityQueryBody(filter, 50)).toEqual({
      entityFilter: filter,
      pageLink: { page: 0, pageSize: 50, sortOrder: { key: { type: 'ENTITY_FIELD', key: 'name' }, direction: 'ASC' } },
      entityFields: [{ type: 'ENTITY_FIELD', key: 'name' }],
    });
    const page = {
      data: [
        { entityId: { entityType: 'DEVICE', id: DEV }, latest: { ENTITY_FIELD: { name: { ts: 1, value: 'Pump A' } } } },
        { entityId: { entityType: 'ASSET', id: ASSET } },
      ],
    };
    expect(entitiesOfPage(page)).toEqual([
      { entityType: 'DEVICE', id: DEV, name: 'Pump A' },
      { entityType: 'ASSET', id: ASSET },
    ]);
  });
});

describe('cached lookup', () => {
  it('asks the API once per filter, again after a failure', async () => {
    let calls = 0;
    let fail = true;
    const cached = cachedLookup({
      async find() {
        calls += 1;
        if (fail) throw new Error('down');
        return [{ entityType: 'DEVICE', id: 'x' }];
      },
    });
    const filter = { type: 'entityName', entityType: 'DEVICE', entityNameFilter: 'P' };
    await expect(cached.find(filter)).rejects.toThrow('down');
    fail = false;
    const [a, b] = await Promise.all([cached.find(filter), cached.find({ ...filter })]);
    expect(a).toBe(b);
    await cached.find({ type: 'deviceType', deviceTypes: ['s'] });
    expect(calls).toBe(3);
  });
});
