/**
 * The node catalogue as the editor shows it: palette groups in the spec's order (§5.5),
 * a new node from a descriptor, the relation labels a node offers, and how the "Test"
 * button calls `/api/ruleChain/testScript` for the script fields of a node (§5.6).
 */

import type { XYPosition } from '@xyflow/react';
import type { ComponentDescriptor, ComponentType, RuleNode, ScriptType } from '../api/ruleChains';

export const GROUPS: { type: ComponentType; label: string; color: string }[] = [
  { type: 'FILTER', label: 'Filter', color: 'yellow' },
  { type: 'ENRICHMENT', label: 'Enrichment', color: 'lime' },
  { type: 'TRANSFORMATION', label: 'Transformation', color: 'cyan' },
  { type: 'ACTION', label: 'Action', color: 'red' },
  { type: 'EXTERNAL', label: 'External', color: 'violet' },
  { type: 'FLOW', label: 'Flow', color: 'gray' },
];

export const GROUP_COLOR: Record<string, string> = Object.fromEntries(GROUPS.map((g) => [g.type, g.color]));

/** Descriptors per palette group, each sorted by name; `search` filters by name or class. */
export function paletteGroups(
  components: ComponentDescriptor[],
  search = '',
): { type: ComponentType; label: string; items: ComponentDescriptor[] }[] {
  const needle = search.trim().toLowerCase();
  const match = (c: ComponentDescriptor) =>
    !needle || c.name.toLowerCase().includes(needle) || c.clazz.toLowerCase().includes(needle);
  return GROUPS.map((g) => ({
    type: g.type,
    label: g.label,
    items: components
      .filter((c) => c.type === g.type && match(c))
      .sort((a, b) => a.name.localeCompare(b.name)),
  })).filter((g) => g.items.length > 0);
}

/** The class name without its package, e.g. `TbJsFilterNode`. */
export const shortClass = (clazz: string): string => clazz.slice(clazz.lastIndexOf('.') + 1);

/** A node of `descriptor`'s class with its default configuration, placed at `position`. */
export function newRuleNode(descriptor: ComponentDescriptor, position: XYPosition): RuleNode {
  const definition = descriptor.configurationDescriptor?.nodeDefinition;
  return {
    type: descriptor.clazz,
    name: descriptor.name.charAt(0).toUpperCase() + descriptor.name.slice(1),
    debugMode: false,
    singletonMode: false,
    queueName: null,
    configurationVersion: descriptor.configurationVersion ?? 0,
    configuration: structuredClone(definition?.defaultConfiguration ?? {}),
    additionalInfo: { description: '', layoutX: Math.round(position.x), layoutY: Math.round(position.y) },
  };
}

const DEFAULT_LABELS = ['Success', 'Failure'];

/** The labels offered when connecting from a node: its own, else Success/Failure. */
export function relationChoices(descriptor: ComponentDescriptor | undefined): string[] {
  const own = descriptor?.configurationDescriptor?.nodeDefinition?.relationTypes;
  return own && own.length ? own : DEFAULT_LABELS;
}

export interface ScriptSpec {
  scriptType: ScriptType;
  argNames: string[];
  /** The default sample the test runs on. */
  msgType: string;
}

const MESSAGE_ARGS = ['msg', 'metadata', 'msgType'];

const SCRIPT_SPECS: Record<string, ScriptSpec> = {
  TbJsFilterNode: { scriptType: 'filter', argNames: MESSAGE_ARGS, msgType: 'POST_TELEMETRY_REQUEST' },
  TbJsSwitchNode: { scriptType: 'switch', argNames: MESSAGE_ARGS, msgType: 'POST_TELEMETRY_REQUEST' },
  TbTransformMsgNode: { scriptType: 'update', argNames: MESSAGE_ARGS, msgType: 'POST_TELEMETRY_REQUEST' },
  TbLogNode: { scriptType: 'string', argNames: MESSAGE_ARGS, msgType: 'POST_TELEMETRY_REQUEST' },
  TbMsgGeneratorNode: {
    scriptType: 'generate',
    argNames: ['prevMsg', 'prevMetadata', 'prevMsgType'],
    msgType: 'POST_TELEMETRY_REQUEST',
  },
  TbCreateAlarmNode: { scriptType: 'json', argNames: MESSAGE_ARGS, msgType: 'POST_TELEMETRY_REQUEST' },
  TbClearAlarmNode: { scriptType: 'json', argNames: MESSAGE_ARGS, msgType: 'POST_TELEMETRY_REQUEST' },
};

/** How a node's script is tested; an unknown class with a script is tested as a transform. */
export function scriptSpecOf(clazz: string): ScriptSpec {
  return SCRIPT_SPECS[shortClass(clazz)] ?? { scriptType: 'update', argNames: MESSAGE_ARGS, msgType: 'POST_TELEMETRY_REQUEST' };
}

/** Configuration fields edited as code rather than text. */
export const SCRIPT_FIELDS = new Set(['jsScript', 'tbelScript', 'alarmDetailsBuildJs', 'alarmDetailsBuildTbel']);

/** The script field that runs for `configuration`'s `scriptLang` (TBEL unless JS). */
export function activeScriptField(configuration: Record<string, unknown>): 'jsScript' | 'tbelScript' {
  return configuration.scriptLang === 'JS' ? 'jsScript' : 'tbelScript';
}
