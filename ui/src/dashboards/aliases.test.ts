import { describe, expect, it } from 'vitest';
import { aliasFromForm, aliasUsage, deleteAlias, emptyAliasForm, filterSummary, formFromAlias, formProblem, saveAlias } from './aliases';
import { addWidget, emptyConfiguration, updateWidget } from './config';

const DEV = 'd1d1d1d1-0000-0000-0000-000000000001';

describe('alias manager', () => {
  it('builds ThingsBoard filters from the form and reads them back', () => {
    const cases = [
      { ...emptyAliasForm(), name: 'Boiler', entityId: DEV },
      { ...emptyAliasForm(), name: 'Pumps', type: 'entityList' as const, entityType: 'ASSET', entityIds: [DEV] },
      { ...emptyAliasForm(), name: 'By name', type: 'entityName' as const, namePrefix: 'Pump', resolveMultiple: true },
      { ...emptyAliasForm(), name: 'All', type: 'entityType' as const, entityType: 'ASSET', resolveMultiple: true },
      { ...emptyAliasForm(), name: 'Sensors', type: 'deviceType' as const, types: ['sensor', 'meter'], resolveMultiple: true },
      { ...emptyAliasForm(), name: 'Sites', type: 'assetType' as const, types: ['site'], namePrefix: 'S', resolveMultiple: true },
      { ...emptyAliasForm(), name: 'Inside', type: 'relationsQuery' as const, direction: 'TO' as const, maxLevel: 2, relationType: 'Manages', relatedTypes: ['ASSET'], resolveMultiple: true },
      { ...emptyAliasForm(), name: 'Selected', type: 'stateEntity' as const, stateParamName: 'pump' },
    ];
    for (const form of cases) {
      const alias = aliasFromForm(form, 'id1');
      expect(alias.id).toBe('id1');
      expect(formFromAlias(alias)).toEqual(form);
    }
    expect(aliasFromForm(cases[4]!).filter).toEqual({ type: 'deviceType', deviceTypes: ['sensor', 'meter'], deviceNameFilter: '' });
    expect(aliasFromForm(cases[6]!).filter).toMatchObject({
      type: 'relationsQuery',
      rootStateEntity: true,
      rootEntity: null,
      direction: 'TO',
      maxLevel: 2,
      filters: [{ relationType: 'Manages', entityTypes: ['ASSET'] }],
    });
    const fixedRoot = aliasFromForm({ ...cases[6]!, rootStateEntity: false, entityType: 'ASSET', entityId: DEV });
    expect(fixedRoot.filter.rootEntity).toEqual({ entityType: 'ASSET', id: DEV });
    expect(filterSummary(aliasFromForm(cases[4]!).filter)).toBe('Devices by type: sensor, meter');
  });

  it('says what is missing before saving', () => {
    const config = saveAlias(emptyConfiguration(), aliasFromForm({ ...emptyAliasForm(), name: 'Boiler', entityId: DEV }, 'a1'));
    expect(formProblem(emptyAliasForm(), config)).toBe('Give the alias a name');
    expect(formProblem({ ...emptyAliasForm(), name: 'Boiler', entityId: DEV }, config)).toBe('An alias with this name exists');
    expect(formProblem({ ...emptyAliasForm(), name: 'Boiler', entityId: DEV }, config, 'a1')).toBeNull();
    expect(formProblem({ ...emptyAliasForm(), name: 'X' }, config)).toBe('Choose the entity');
    expect(formProblem({ ...emptyAliasForm(), name: 'X', type: 'deviceType' }, config)).toBe('Give at least one type');
    expect(formProblem({ ...emptyAliasForm(), name: 'X', type: 'relationsQuery', rootStateEntity: false }, config)).toBe('Choose the root entity');
  });

  it('refuses to delete an alias a widget uses', () => {
    const withAlias = saveAlias(emptyConfiguration(), aliasFromForm({ ...emptyAliasForm(), name: 'Boiler', entityId: DEV }, 'a1'));
    const [config] = addWidget(withAlias, 'card', 'w1');
    const used = updateWidget(config, { ...config.widgets.w1!, config: { ...config.widgets.w1!.config, title: 'Temp', datasources: [{ type: 'entity', entityAliasId: 'a1', dataKeys: [] }] } });
    expect(aliasUsage(used, 'a1')).toEqual(['Temp']);
    expect(() => deleteAlias(used, 'a1')).toThrow('The alias is used by: Temp');
    expect(deleteAlias(config, 'a1').entityAliases).toEqual({});
  });
});
