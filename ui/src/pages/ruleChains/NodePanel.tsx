import {
  ActionIcon,
  Badge,
  Button,
  Divider,
  Group,
  Select,
  Stack,
  Switch,
  TagsInput,
  Text,
  TextInput,
  Textarea,
  Title,
} from '@mantine/core';
import { IconArrowRight, IconPlayerPlay, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import type { RuleNode } from '../../api/ruleChains';
import { INPUT_ID, isRuleNode, type FlowEdge, type FlowNode, type RuleFlowNode } from '../../lib/ruleChainGraph';
import { relationChoices, shortClass } from '../../lib/ruleNodes';
import { useEditorContext } from './catalog';
import { ConfigForm } from './ConfigForm';

interface Props {
  node: RuleFlowNode;
  nodes: FlowNode[];
  edges: FlowEdge[];
  onChange: (rule: RuleNode) => void;
  onDelete: () => void;
  onDeleteEdge: (edgeId: string) => void;
  onConnect: (target: string, labels: string[]) => void;
  onMakeFirst: () => void;
}

/** The selected node: its name, debug flag, configuration form and outgoing relations. */
export function NodePanel(props: Props) {
  const { node, nodes, edges } = props;
  const { byClass } = useEditorContext();
  const rule = node.data.rule;
  const descriptor = byClass.get(rule.type);
  const update = (patch: Partial<RuleNode>) => props.onChange({ ...rule, ...patch });
  const nameOf = (id: string) => {
    const other = nodes.find((n) => n.id === id);
    return other && isRuleNode(other) ? other.data.rule.name : id;
  };
  const outgoing = edges.filter((e) => e.source === node.id);
  const isFirst = edges.some((e) => e.source === INPUT_ID && e.target === node.id);

  return (
    <Stack gap="sm" data-testid="node-panel">
      <Group justify="space-between" wrap="nowrap" align="flex-start">
        <Stack gap={0}>
          <Title order={4}>{descriptor?.name ?? shortClass(rule.type)}</Title>
          <Text size="xs" c="dimmed" className="mono">
            {rule.type}
          </Text>
        </Stack>
        <ActionIcon color="red" variant="subtle" aria-label="Delete node" onClick={props.onDelete}>
          <IconTrash size={18} />
        </ActionIcon>
      </Group>
      {descriptor?.configurationDescriptor?.nodeDefinition?.description && (
        <Text size="sm" c="dimmed">
          {descriptor.configurationDescriptor.nodeDefinition.description}
        </Text>
      )}
      <TextInput label="Name" required value={rule.name} onChange={(e) => update({ name: e.currentTarget.value })} />
      <Textarea
        label="Description"
        autosize
        minRows={1}
        value={String(rule.additionalInfo?.description ?? '')}
        onChange={(e) => update({ additionalInfo: { ...(rule.additionalInfo ?? {}), description: e.currentTarget.value } })}
      />
      <Switch label="Debug mode" checked={Boolean(rule.debugMode)} onChange={(e) => update({ debugMode: e.currentTarget.checked })} />
      <Divider label="Configuration" labelPosition="left" />
      <ConfigForm rule={rule} onChange={(configuration) => update({ configuration })} />
      <Divider label="Relations" labelPosition="left" />
      {isFirst ? (
        <Badge variant="light" color="teal" leftSection={<IconPlayerPlay size={12} />}>
          First node of the chain
        </Badge>
      ) : (
        <Button size="xs" variant="default" onClick={props.onMakeFirst}>
          Make first node
        </Button>
      )}
      {outgoing.length === 0 && (
        <Text size="sm" c="dimmed">
          No outgoing relations.
        </Text>
      )}
      {outgoing.map((edge) => (
        <Group key={edge.id} gap="xs" wrap="nowrap" justify="space-between" data-testid="relation">
          <Group gap={6} wrap="nowrap" style={{ minWidth: 0 }}>
            <Badge variant="light">{edge.data?.relation}</Badge>
            <IconArrowRight size={14} />
            <Text size="sm" truncate>
              {nameOf(edge.target)}
            </Text>
          </Group>
          <ActionIcon variant="subtle" color="red" aria-label={`Remove relation ${edge.data?.relation}`} onClick={() => props.onDeleteEdge(edge.id)}>
            <IconTrash size={14} />
          </ActionIcon>
        </Group>
      ))}
      <AddRelation
        choices={relationChoices(descriptor)}
        targets={nodes.filter((n) => isRuleNode(n) && n.id !== node.id).map((n) => ({ value: n.id, label: nameOf(n.id) }))}
        onAdd={props.onConnect}
      />
    </Stack>
  );
}

/** Connecting without dragging (a phone, a keyboard): pick a target and labels. */
function AddRelation(props: {
  choices: string[];
  targets: { value: string; label: string }[];
  onAdd: (target: string, labels: string[]) => void;
}) {
  const [target, setTarget] = useState<string | null>(null);
  const [labels, setLabels] = useState<string[]>([]);
  return (
    <Stack gap="xs">
      <Select label="Connect to" placeholder="Node" data={props.targets} value={target} onChange={setTarget} searchable />
      <TagsInput
        label="Relation labels"
        description="Pick or type a custom label, then Enter"
        data={props.choices}
        value={labels}
        onChange={setLabels}
      />
      <Group>
        <Button
          size="xs"
          disabled={!target || labels.length === 0}
          onClick={() => {
            if (!target) return;
            props.onAdd(target, labels);
            setLabels([]);
          }}
        >
          Add relation
        </Button>
      </Group>
    </Stack>
  );
}
