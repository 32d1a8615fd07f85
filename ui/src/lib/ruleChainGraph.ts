/**
 * Rule chain metadata ↔ the editor's canvas. The canvas keeps rule nodes in metadata order,
 * so a chain loaded and saved without edits comes back with the same node indices,
 * connections and `firstNodeIndex`; the chain's entry is drawn as an "Input" node whose one
 * edge points at the first node, as in ThingsBoard's editor.
 */

import type { Edge, Node, XYPosition } from '@xyflow/react';
import type { NodeConnection, RuleChainMetaData, RuleNode } from '../api/ruleChains';

export const INPUT_ID = 'chain-input';
export const INPUT_EDGE_ID = 'chain-input-edge';
const INPUT_GAP = 240;

export type RuleFlowNode = Node<{ rule: RuleNode }, 'rule'>;
export type InputFlowNode = Node<Record<string, never>, 'chainInput'>;
export type FlowNode = RuleFlowNode | InputFlowNode;
export type FlowEdge = Edge<{ relation: string }>;

export interface Graph {
  nodes: FlowNode[];
  edges: FlowEdge[];
}

let sequence = 0;

/** A canvas key for a node or edge the server has not named yet. */
export function newKey(prefix = 'new'): string {
  sequence += 1;
  return `${prefix}-${Date.now().toString(36)}-${sequence}`;
}

export const isRuleNode = (node: FlowNode): node is RuleFlowNode => node.type === 'rule';

/** A labelled relation edge; the label is the connection's `type`. */
export function relationEdge(source: string, target: string, relation: string): FlowEdge {
  return { id: newKey('edge'), source, target, label: relation, data: { relation } };
}

export function inputEdge(target: string): FlowEdge {
  return { id: INPUT_EDGE_ID, source: INPUT_ID, target, deletable: true };
}

export function ruleFlowNode(rule: RuleNode, key: string = rule.id?.id ?? newKey()): RuleFlowNode {
  const info = rule.additionalInfo ?? {};
  return {
    id: key,
    type: 'rule',
    position: { x: Number(info.layoutX ?? 0), y: Number(info.layoutY ?? 0) },
    data: { rule },
  };
}

/** The canvas of a chain's metadata. */
export function toGraph(metadata: RuleChainMetaData): Graph {
  const ruleNodes = metadata.nodes.map((rule) => ruleFlowNode(rule));
  const first = metadata.firstNodeIndex;
  const firstNode = first !== null && first !== undefined && first >= 0 ? ruleNodes[first] : undefined;
  const left = ruleNodes.length ? Math.min(...ruleNodes.map((n) => n.position.x)) : INPUT_GAP;
  const input: InputFlowNode = {
    id: INPUT_ID,
    type: 'chainInput',
    position: { x: left - INPUT_GAP, y: firstNode?.position.y ?? 150 },
    data: {},
    deletable: false,
  };
  const edges: FlowEdge[] = [];
  if (firstNode) edges.push(inputEdge(firstNode.id));
  for (const c of metadata.connections) {
    const source = ruleNodes[c.fromIndex];
    const target = ruleNodes[c.toIndex];
    if (source && target) edges.push(relationEdge(source.id, target.id, c.type));
  }
  return { nodes: [input, ...ruleNodes], edges };
}

/**
 * The metadata of a canvas: `base` carries what the canvas does not show (chain id,
 * version, legacy chain connections, notes); positions become `layoutX/layoutY`.
 */
export function toMetadata(graph: Graph, base: Partial<RuleChainMetaData> = {}): RuleChainMetaData {
  const ruleNodes = graph.nodes.filter(isRuleNode);
  const indexOf = new Map(ruleNodes.map((n, i) => [n.id, i]));
  const nodes = ruleNodes.map((n) => withLayout(n.data.rule, n.position));
  const connections: NodeConnection[] = [];
  let firstNodeIndex: number | null = null;
  for (const edge of graph.edges) {
    const toIndex = indexOf.get(edge.target);
    if (toIndex === undefined) continue;
    if (edge.source === INPUT_ID) {
      firstNodeIndex = toIndex;
      continue;
    }
    const fromIndex = indexOf.get(edge.source);
    const type = edge.data?.relation;
    if (fromIndex !== undefined && type) connections.push({ fromIndex, toIndex, type });
  }
  return { ...base, firstNodeIndex, nodes, connections };
}

function withLayout(rule: RuleNode, position: XYPosition): RuleNode {
  return {
    ...rule,
    additionalInfo: {
      ...(rule.additionalInfo ?? {}),
      layoutX: Math.round(position.x),
      layoutY: Math.round(position.y),
    },
  };
}

/**
 * Whether an edge from `source` to `target` may be drawn: nothing enters the Input node, the
 * Input node has one edge, and a node does not connect to itself.
 */
export function canConnect(source: string, target: string): boolean {
  return source !== target && target !== INPUT_ID;
}

/** The edges after pointing the Input node at `target` (it has only one edge). */
export function withFirstNode(edges: FlowEdge[], target: string): FlowEdge[] {
  return [...edges.filter((e) => e.source !== INPUT_ID), inputEdge(target)];
}

/** Edges for each label of a new relation, leaving out ones that already exist. */
export function addRelations(
  edges: FlowEdge[],
  source: string,
  target: string,
  labels: string[],
): FlowEdge[] {
  const existing = new Set(
    edges.filter((e) => e.source === source && e.target === target).map((e) => e.data?.relation),
  );
  const fresh = [...new Set(labels.map((l) => l.trim()).filter((l) => l && !existing.has(l)))];
  return [...edges, ...fresh.map((l) => relationEdge(source, target, l))];
}
