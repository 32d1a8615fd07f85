/**
 * Rule chain JSON files: the single-chain export (spec §5.3) and the bulk `RuleChainData`.
 * Exports leave out ids and owners so that a file imports into any tenant.
 */

import type { RuleChain, RuleChainFile, RuleChainMetaData, RuleNode } from '../api/ruleChains';

export interface ChainData {
  ruleChains: RuleChain[];
  metadata: RuleChainMetaData[];
}

const NODE_SERVER_FIELDS = ['id', 'createdTime', 'ruleChainId', 'externalId'] as const;

function portableNode(node: RuleNode): RuleNode {
  const copy: RuleNode = { ...node };
  for (const field of NODE_SERVER_FIELDS) delete copy[field];
  return copy;
}

/** The export file of one chain. */
export function toChainFile(chain: RuleChain, metadata: RuleChainMetaData): RuleChainFile {
  return {
    ruleChain: {
      name: chain.name,
      type: chain.type ?? 'CORE',
      firstRuleNodeId: null,
      root: chain.root ?? false,
      debugMode: chain.debugMode ?? false,
      configuration: chain.configuration ?? null,
      additionalInfo: chain.additionalInfo ?? null,
    },
    metadata: {
      firstNodeIndex: metadata.firstNodeIndex,
      nodes: metadata.nodes.map(portableNode),
      connections: metadata.connections.map(({ fromIndex, toIndex, type }) => ({ fromIndex, toIndex, type })),
      ruleChainConnections: metadata.ruleChainConnections ?? null,
    },
  };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function checkMetadata(value: unknown, where: string): RuleChainMetaData {
  if (!isObject(value) || !Array.isArray(value.nodes)) throw new Error(`${where}: metadata.nodes is missing`);
  if (value.connections !== undefined && value.connections !== null && !Array.isArray(value.connections))
    throw new Error(`${where}: metadata.connections must be a list`);
  for (const node of value.nodes) {
    if (!isObject(node) || typeof node.type !== 'string') throw new Error(`${where}: every node needs a type`);
  }
  return {
    ...value,
    firstNodeIndex: typeof value.firstNodeIndex === 'number' ? value.firstNodeIndex : null,
    nodes: value.nodes as RuleNode[],
    connections: (value.connections ?? []) as RuleChainMetaData['connections'],
  };
}

function checkChain(value: unknown, where: string): RuleChain {
  if (!isObject(value) || typeof value.name !== 'string' || !value.name.trim())
    throw new Error(`${where}: ruleChain.name is missing`);
  return value as RuleChain;
}

/**
 * The import body for `POST /api/ruleChains/import` of a file's text, either format.
 * A single-chain file becomes one chain whose metadata carries no chain id, which is how
 * the import pairs them; throws an `Error` saying what is wrong with the file.
 */
export function importBodyOf(text: string): ChainData {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('The file is not JSON');
  }
  if (!isObject(parsed)) throw new Error('The file is not a rule chain export');
  if (Array.isArray(parsed.ruleChains)) {
    const metadata = Array.isArray(parsed.metadata) ? parsed.metadata : [];
    return {
      ruleChains: parsed.ruleChains.map((c, i) => checkChain(c, `chain ${i + 1}`)),
      metadata: metadata.map((m, i) => checkMetadata(m, `metadata ${i + 1}`)),
    };
  }
  const chain = checkChain(parsed.ruleChain, 'file');
  const metadata = checkMetadata(parsed.metadata, 'file');
  return {
    ruleChains: [{ ...chain, id: undefined, root: false }],
    metadata: [{ ...metadata, ruleChainId: null }],
  };
}

/** A file name for a chain's export, e.g. `root_rule_chain.json`. */
export function exportFileName(name: string): string {
  const slug = name.trim().toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
  return `${slug || 'rule_chain'}.json`;
}
