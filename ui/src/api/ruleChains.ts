/** Rule chains, their metadata, the node catalogue and script tests (spec §3.8, §5.3). */

import type { PageLink } from '../lib/pageLink';
import { pageParams } from '../lib/pageLink';
import { api } from './instance';
import type { PageData } from './types';

export interface Id<T extends string> {
  entityType: T;
  id: string;
}

export interface RuleChain {
  id?: Id<'RULE_CHAIN'>;
  createdTime?: number;
  name: string;
  type?: 'CORE' | 'EDGE';
  firstRuleNodeId?: Id<'RULE_NODE'> | null;
  root?: boolean;
  debugMode?: boolean;
  configuration?: unknown;
  additionalInfo?: Record<string, unknown> | null;
  version?: number | null;
  [field: string]: unknown;
}

export interface RuleNodeAdditionalInfo {
  layoutX?: number;
  layoutY?: number;
  description?: string;
  [field: string]: unknown;
}

export interface RuleNode {
  id?: Id<'RULE_NODE'> | null;
  /** The fully-qualified class name, e.g. `org.thingsboard.rule.engine.filter.TbJsFilterNode`. */
  type: string;
  name: string;
  debugMode?: boolean;
  configurationVersion?: number;
  configuration: Record<string, unknown>;
  additionalInfo?: RuleNodeAdditionalInfo | null;
  [field: string]: unknown;
}

export interface NodeConnection {
  fromIndex: number;
  toIndex: number;
  type: string;
}

export interface RuleChainMetaData {
  ruleChainId?: Id<'RULE_CHAIN'> | null;
  version?: number | null;
  firstNodeIndex: number | null;
  nodes: RuleNode[];
  connections: NodeConnection[];
  ruleChainConnections?: unknown;
  [field: string]: unknown;
}

/** The single-chain export file (also the built-in root chain resource). */
export interface RuleChainFile {
  ruleChain: RuleChain;
  metadata: RuleChainMetaData;
}

export type ComponentType = 'FILTER' | 'ENRICHMENT' | 'TRANSFORMATION' | 'ACTION' | 'EXTERNAL' | 'FLOW';

export interface ComponentDescriptor {
  type: ComponentType;
  name: string;
  clazz: string;
  configurationVersion?: number;
  configurationDescriptor?: {
    nodeDefinition?: {
      description?: string;
      details?: string;
      inEnabled?: boolean;
      outEnabled?: boolean;
      relationTypes?: string[];
      customRelations?: boolean;
      defaultConfiguration?: Record<string, unknown>;
    };
  };
}

/** One node's counters (`GET /api/ruleChain/{id}/stats`, an IndustryOS addition). */
export interface NodeStats {
  ruleNodeId: string;
  name: string;
  type: string;
  processed: number;
  failed: number;
  meanTimeMs: number;
  scriptDisabledReason: string | null;
}

export type ScriptType = 'filter' | 'switch' | 'update' | 'generate' | 'json' | 'string';

export interface ScriptTest {
  script: string;
  scriptType: ScriptType;
  argNames: string[];
  msg: string;
  metadata: Record<string, string>;
  msgType: string;
}

export const ruleChains = (link: PageLink): Promise<PageData<RuleChain>> =>
  api.get('/api/ruleChains', { ...pageParams(link), type: 'CORE' });

export const ruleChain = (id: string): Promise<RuleChain> => api.get(`/api/ruleChain/${id}`);

export const saveRuleChain = (chain: RuleChain): Promise<RuleChain> => api.post('/api/ruleChain', chain);

export const deleteRuleChain = (id: string): Promise<void> => api.delete(`/api/ruleChain/${id}`);

export const setRoot = (id: string): Promise<RuleChain> => api.post(`/api/ruleChain/${id}/root`);

export const metadataOf = (id: string): Promise<RuleChainMetaData> =>
  api.get(`/api/ruleChain/${id}/metadata`);

export const saveMetadata = (metadata: RuleChainMetaData): Promise<RuleChainMetaData> =>
  api.post('/api/ruleChain/metadata', metadata, { updateRelated: true });

export interface ImportResult {
  ruleChainId: Id<'RULE_CHAIN'>;
  ruleChainName: string;
  updated: boolean;
}

/** Bulk import of `RuleChainData {ruleChains, metadata}`; new chains are never root. */
export const importChains = (
  data: { ruleChains: RuleChain[]; metadata: RuleChainMetaData[] },
  overwrite = false,
): Promise<ImportResult[]> => api.post('/api/ruleChains/import', data, { overwrite });

export const exportChains = (limit = 100): Promise<{ ruleChains: RuleChain[]; metadata: RuleChainMetaData[] }> =>
  api.get('/api/ruleChains/export', { limit });

export const componentsOf = (): Promise<ComponentDescriptor[]> =>
  api.get('/api/components', { ruleChainType: 'CORE' });

export const nodeStats = (chainId: string): Promise<NodeStats[]> =>
  api.get(`/api/ruleChain/${chainId}/stats`);

export const testScript = (
  test: ScriptTest,
  scriptLang: 'JS' | 'TBEL',
): Promise<{ output: string; error: string }> =>
  api.post('/api/ruleChain/testScript', test, { scriptLang });
