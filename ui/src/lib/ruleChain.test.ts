import { describe, expect, it } from 'vitest';
import type { ComponentDescriptor, RuleChainMetaData } from '../api/ruleChains';
import { exportFileName, importBodyOf, toChainFile } from './ruleChainFile';
import {
  INPUT_ID,
  addRelations,
  canConnect,
  isRuleNode,
  ruleFlowNode,
  toGraph,
  toMetadata,
  withFirstNode,
} from './ruleChainGraph';
import { newRuleNode, paletteGroups, relationChoices, scriptSpecOf } from './ruleNodes';

const P = 'org.thingsboard.rule.engine.';

/** The default root chain of spec §5.4, as the metadata endpoint returns it. */
function rootChain(): RuleChainMetaData {
  const node = (i: number, type: string, name: string, x: number, y: number) => ({
    id: { entityType: 'RULE_NODE' as const, id: `00000000-0000-0000-0000-00000000000${i}` },
    createdTime: 1700000000000 + i,
    ruleChainId: { entityType: 'RULE_CHAIN' as const, id: 'chain-1' },
    type: P + type,
    name,
    debugMode: false,
    debugSettings: null,
    singletonMode: false,
    queueName: null,
    configurationVersion: 1,
    configuration: { version: i },
    additionalInfo: { description: '', layoutX: x, layoutY: y },
    externalId: null,
  });
  return {
    ruleChainId: { entityType: 'RULE_CHAIN', id: 'chain-1' },
    version: 3,
    firstNodeIndex: 6,
    nodes: [
      node(0, 'telemetry.TbMsgTimeseriesNode', 'Save Timeseries', 824, 156),
      node(1, 'telemetry.TbMsgAttributesNode', 'Save Client Attributes', 824, 52),
      node(2, 'filter.TbMsgTypeSwitchNode', 'Message Type Switch', 347, 149),
      node(3, 'action.TbLogNode', 'Log RPC from Device', 825, 266),
      node(4, 'action.TbLogNode', 'Log Other', 824, 378),
      node(5, 'rpc.TbSendRPCRequestNode', 'RPC Call Request', 824, 466),
      node(6, 'profile.TbDeviceProfileNode', 'Device Profile Node', 204, 240),
    ],
    connections: [
      { fromIndex: 6, toIndex: 2, type: 'Success' },
      { fromIndex: 2, toIndex: 0, type: 'Post telemetry' },
      { fromIndex: 2, toIndex: 1, type: 'Post attributes' },
      { fromIndex: 2, toIndex: 3, type: 'RPC Request from Device' },
      { fromIndex: 2, toIndex: 5, type: 'RPC Request to Device' },
      { fromIndex: 2, toIndex: 4, type: 'Other' },
      { fromIndex: 6, toIndex: 6, type: 'Custom loop' },
    ],
    ruleChainConnections: null,
  };
}

describe('rule chain ↔ canvas', () => {
  it('round-trips the metadata unchanged', () => {
    const meta = rootChain();
    const { firstNodeIndex, nodes, connections, ...base } = meta;
    const back = toMetadata(toGraph(meta), base);
    expect(back).toEqual(meta);
    expect(back.firstNodeIndex).toBe(firstNodeIndex);
    expect(back.nodes.map((n) => n.id?.id)).toEqual(nodes.map((n) => n.id?.id));
    expect(back.connections).toEqual(connections);
    expect(back.nodes.map((n) => [n.additionalInfo?.layoutX, n.additionalInfo?.layoutY])).toEqual(
      nodes.map((n) => [n.additionalInfo?.layoutX, n.additionalInfo?.layoutY]),
    );
  });

  it('draws the entry as an Input node pointing at the first node, left of the chain', () => {
    const graph = toGraph(rootChain());
    const input = graph.nodes.find((n) => n.id === INPUT_ID)!;
    expect(input.type).toBe('chainInput');
    expect(input.position.x).toBeLessThan(204);
    const entry = graph.edges.filter((e) => e.source === INPUT_ID);
    expect(entry).toHaveLength(1);
    expect(entry[0]!.target).toBe('00000000-0000-0000-0000-000000000006');
    expect(graph.edges.filter((e) => e.source !== INPUT_ID).map((e) => e.label)).toContain('Post telemetry');
  });

  it('keeps a chain without an entry without one', () => {
    const meta = { ...rootChain(), firstNodeIndex: null };
    expect(toMetadata(toGraph(meta)).firstNodeIndex).toBeNull();
    const empty = toMetadata(toGraph({ firstNodeIndex: null, nodes: [], connections: [] }));
    expect(empty).toEqual({ firstNodeIndex: null, nodes: [], connections: [] });
  });

  it('writes moved positions as rounded layoutX/layoutY and keeps other additionalInfo', () => {
    const graph = toGraph(rootChain());
    const moved = graph.nodes.map((n) => (isRuleNode(n) && n.data.rule.name === 'Log Other' ? { ...n, position: { x: 10.4, y: -20.6 } } : n));
    const log = toMetadata({ ...graph, nodes: moved }).nodes[4]!;
    expect(log.additionalInfo).toEqual({ description: '', layoutX: 10, layoutY: -21 });
  });

  it('inserts a filter between the switch and Save Timeseries with new indices', () => {
    const graph = toGraph(rootChain());
    const filter = ruleFlowNode(newRuleNode(descriptor('FILTER', 'filter.TbJsFilterNode', ['True', 'False', 'Failure']), { x: 600, y: 200 }));
    const switchId = graph.nodes.find((n) => isRuleNode(n) && n.data.rule.name === 'Message Type Switch')!.id;
    const saveId = graph.nodes.find((n) => isRuleNode(n) && n.data.rule.name === 'Save Timeseries')!.id;
    let edges = graph.edges.filter((e) => !(e.source === switchId && e.target === saveId));
    edges = addRelations(edges, switchId, filter.id, ['Post telemetry']);
    edges = addRelations(edges, filter.id, saveId, ['True', ' True ', '']);
    const meta = toMetadata({ nodes: [...graph.nodes, filter], edges });
    expect(meta.nodes[7]).toMatchObject({ type: P + 'filter.TbJsFilterNode', additionalInfo: { layoutX: 600, layoutY: 200 } });
    expect(meta.nodes[7]!.id).toBeUndefined();
    expect(meta.connections).toContainEqual({ fromIndex: 2, toIndex: 7, type: 'Post telemetry' });
    expect(meta.connections).toContainEqual({ fromIndex: 7, toIndex: 0, type: 'True' });
    expect(meta.connections.filter((c) => c.fromIndex === 7)).toHaveLength(1);
    expect(meta.connections).not.toContainEqual({ fromIndex: 2, toIndex: 0, type: 'Post telemetry' });
  });

  it('renumbers connections and the entry after a node is removed', () => {
    const graph = toGraph(rootChain());
    const removed = '00000000-0000-0000-0000-000000000001';
    const meta = toMetadata({
      nodes: graph.nodes.filter((n) => n.id !== removed),
      edges: graph.edges.filter((e) => e.source !== removed && e.target !== removed),
    });
    expect(meta.firstNodeIndex).toBe(5);
    expect(meta.nodes).toHaveLength(6);
    expect(meta.connections[0]).toEqual({ fromIndex: 5, toIndex: 1, type: 'Success' });
    expect(meta.connections.some((c) => c.type === 'Post attributes')).toBe(false);
  });

  it('lets the Input node point at one node only and never be a target', () => {
    const graph = toGraph(rootChain());
    const edges = withFirstNode(graph.edges, '00000000-0000-0000-0000-000000000002');
    expect(edges.filter((e) => e.source === INPUT_ID).map((e) => e.target)).toEqual(['00000000-0000-0000-0000-000000000002']);
    expect(toMetadata({ nodes: graph.nodes, edges }).firstNodeIndex).toBe(2);
    expect(canConnect('a', INPUT_ID)).toBe(false);
    expect(canConnect('a', 'a')).toBe(false);
    expect(canConnect(INPUT_ID, 'a')).toBe(true);
  });
});

function descriptor(type: ComponentDescriptor['type'], clazz: string, relationTypes: string[]): ComponentDescriptor {
  return {
    type,
    name: clazz.split('.').pop()!.replace(/^Tb/, '').toLowerCase(),
    clazz: P + clazz,
    configurationVersion: 0,
    configurationDescriptor: { nodeDefinition: { relationTypes, defaultConfiguration: { scriptLang: 'TBEL', nested: { a: 1 } } } },
  };
}

describe('node catalogue', () => {
  it('groups the palette in the spec order and filters by name or class', () => {
    const all = [
      descriptor('ACTION', 'action.TbLogNode', []),
      descriptor('FILTER', 'filter.TbJsSwitchNode', ['Failure']),
      descriptor('FILTER', 'filter.TbJsFilterNode', ['True', 'False', 'Failure']),
      descriptor('FLOW', 'flow.TbAckNode', ['Success']),
    ];
    const groups = paletteGroups(all);
    expect(groups.map((g) => g.label)).toEqual(['Filter', 'Action', 'Flow']);
    expect(groups[0]!.items.map((c) => c.name)).toEqual(['jsfilternode', 'jsswitchnode']);
    expect(paletteGroups(all, 'tblog').map((g) => g.label)).toEqual(['Action']);
  });

  it('makes a new node with its own copy of the default configuration', () => {
    const d = descriptor('FILTER', 'filter.TbJsFilterNode', ['True']);
    const node = newRuleNode(d, { x: 1.6, y: 2.2 });
    expect(node).toMatchObject({ type: P + 'filter.TbJsFilterNode', additionalInfo: { layoutX: 2, layoutY: 2 } });
    (node.configuration.nested as { a: number }).a = 2;
    expect(d.configurationDescriptor?.nodeDefinition?.defaultConfiguration).toEqual({ scriptLang: 'TBEL', nested: { a: 1 } });
  });

  it('offers a node its own labels, else Success and Failure', () => {
    expect(relationChoices(descriptor('FILTER', 'filter.TbJsFilterNode', ['True', 'False', 'Failure']))).toEqual(['True', 'False', 'Failure']);
    expect(relationChoices(undefined)).toEqual(['Success', 'Failure']);
  });

  it('tests each script node as the server expects', () => {
    expect(scriptSpecOf(P + 'filter.TbJsFilterNode').scriptType).toBe('filter');
    expect(scriptSpecOf(P + 'filter.TbJsSwitchNode').scriptType).toBe('switch');
    expect(scriptSpecOf(P + 'action.TbLogNode').scriptType).toBe('string');
    expect(scriptSpecOf(P + 'debug.TbMsgGeneratorNode').argNames).toEqual(['prevMsg', 'prevMetadata', 'prevMsgType']);
  });
});

describe('rule chain files', () => {
  it('exports without ids and imports the export as one non-root chain', () => {
    const file = toChainFile({ id: { entityType: 'RULE_CHAIN', id: 'chain-1' }, name: 'Root Rule Chain', root: true }, rootChain());
    expect(file.ruleChain).toMatchObject({ name: 'Root Rule Chain', type: 'CORE', root: true, firstRuleNodeId: null });
    expect(file.ruleChain.id).toBeUndefined();
    expect(file.metadata.nodes.every((n) => n.id === undefined && n.createdTime === undefined && n.ruleChainId === undefined)).toBe(true);
    expect(file.metadata.firstNodeIndex).toBe(6);
    expect(file.metadata.connections).toEqual(rootChain().connections);

    const body = importBodyOf(JSON.stringify(file));
    expect(body.ruleChains).toEqual([{ ...file.ruleChain, id: undefined, root: false }]);
    expect(body.metadata[0]).toMatchObject({ ruleChainId: null, firstNodeIndex: 6 });
    expect(body.metadata[0]!.nodes).toHaveLength(7);
  });

  it('passes bulk exports through and says what is wrong with a bad file', () => {
    const bulk = { ruleChains: [{ name: 'A', id: { entityType: 'RULE_CHAIN', id: 'x' } }], metadata: [{ ...rootChain(), ruleChainId: { entityType: 'RULE_CHAIN', id: 'x' } }] };
    expect(importBodyOf(JSON.stringify(bulk)).ruleChains[0]!.name).toBe('A');
    expect(() => importBodyOf('{oops')).toThrow('not JSON');
    expect(() => importBodyOf('[]')).toThrow('not a rule chain export');
    expect(() => importBodyOf(JSON.stringify({ ruleChain: { name: ' ' }, metadata: { nodes: [] } }))).toThrow('name');
    expect(() => importBodyOf(JSON.stringify({ ruleChain: { name: 'A' }, metadata: { nodes: [{}] } }))).toThrow('type');
    expect(exportFileName('Root Rule Chain!')).toBe('root_rule_chain.json');
    expect(exportFileName('  ')).toBe('rule_chain.json');
  });
});
