import { Badge, Group, Paper, Text } from '@mantine/core';
import { IconPlayerPlay } from '@tabler/icons-react';
import { Handle, Position, type NodeProps } from '@xyflow/react';
import type { InputFlowNode, RuleFlowNode } from '../../lib/ruleChainGraph';
import { GROUP_COLOR, shortClass } from '../../lib/ruleNodes';
import { useEditorContext } from './catalog';

/** A rule node on the canvas: family colour, name, class; in/out handles as its class allows. */
export function RuleNodeView({ id, data, selected }: NodeProps<RuleFlowNode>) {
  const { byClass, stats } = useEditorContext();
  const descriptor = byClass.get(data.rule.type);
  const definition = descriptor?.configurationDescriptor?.nodeDefinition;
  const color = descriptor ? GROUP_COLOR[descriptor.type] ?? 'gray' : 'gray';
  const counters = stats.get(id);
  return (
    <Paper
      withBorder
      shadow={selected ? 'md' : 'xs'}
      radius="sm"
      px="sm"
      py={6}
      className="rule-node"
      data-testid="rule-node"
      data-name={data.rule.name}
      style={{
        borderLeft: `6px solid var(--mantine-color-${color}-5)`,
        outline: selected ? '2px solid var(--mantine-color-indigo-5)' : undefined,
      }}
    >
      {definition?.inEnabled !== false && <Handle type="target" position={Position.Left} />}
      <Text size="sm" fw={600} lh={1.2} truncate>
        {data.rule.name || '(unnamed)'}
      </Text>
      <Group gap={4} wrap="nowrap">
        <Text size="xs" c="dimmed" truncate>
          {descriptor?.name ?? shortClass(data.rule.type)}
        </Text>
        {counters && (
          <Badge size="xs" variant="light" color={counters.failed ? 'red' : 'gray'}>
            {counters.processed}
            {counters.failed ? ` / ${counters.failed} failed` : ''}
          </Badge>
        )}
      </Group>
      {definition?.outEnabled !== false && <Handle type="source" position={Position.Right} />}
    </Paper>
  );
}

/** Where messages enter the chain; its one edge marks the first node. */
export function InputNodeView(_props: NodeProps<InputFlowNode>) {
  return (
    <Paper withBorder radius="xl" px="md" py={6} bg="teal.0" data-testid="input-node" style={{ borderColor: 'var(--mantine-color-teal-5)' }}>
      <Group gap={6} wrap="nowrap">
        <IconPlayerPlay size={14} />
        <Text size="sm" fw={600}>
          Input
        </Text>
      </Group>
      <Handle type="source" position={Position.Right} />
    </Paper>
  );
}

export const NODE_TYPES = { rule: RuleNodeView, chainInput: InputNodeView };
