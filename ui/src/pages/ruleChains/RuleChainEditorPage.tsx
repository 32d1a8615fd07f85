import '@xyflow/react/dist/style.css';

import { Alert, Badge, Button, Center, Drawer, Group, Loader, Paper, ScrollArea, Stack, Text, Title } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconArrowLeft, IconBug, IconDeviceFloppy, IconDownload, IconFlag, IconLayoutSidebar } from '@tabler/icons-react';
import {
  Background,
  Controls,
  MarkerType,
  ReactFlow,
  ReactFlowProvider,
  useEdgesState,
  useNodesState,
  useReactFlow,
  type Connection,
  type XYPosition,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import { Link, Navigate, useParams } from 'react-router';
import { describeError } from '../../api/errors';
import {
  componentsOf,
  metadataOf,
  nodeStats,
  ruleChain,
  saveMetadata,
  setRoot,
  type ComponentDescriptor,
  type NodeStats,
  type RuleChain,
  type RuleChainMetaData,
  type RuleNode,
} from '../../api/ruleChains';
import { useUser } from '../../auth/session';
import { downloadJson } from '../../components/download';
import { canOpen } from '../../lib/navigation';
import { exportFileName, toChainFile } from '../../lib/ruleChainFile';
import {
  addRelations,
  canConnect,
  INPUT_ID,
  isRuleNode,
  ruleFlowNode,
  toGraph,
  toMetadata,
  withFirstNode,
  type FlowEdge,
  type FlowNode,
} from '../../lib/ruleChainGraph';
import { newRuleNode, relationChoices } from '../../lib/ruleNodes';
import { EditorContext } from './catalog';
import { DebugPanel } from './DebugPanel';
import { NodePanel } from './NodePanel';
import { NODE_TYPES } from './NodeViews';
import { DRAG_TYPE, Palette } from './Palette';
import { RelationModal } from './RelationModal';

const STATS_EVERY_MS = 3000;

interface Loaded {
  chain: RuleChain;
  metadata: RuleChainMetaData;
  components: ComponentDescriptor[];
}

/** The rule chain editor: palette, canvas, node form, debug counters; save and make root. */
export function RuleChainEditorPage() {
  const user = useUser();
  const { chainId = '' } = useParams();
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let current = true;
    Promise.all([ruleChain(chainId), metadataOf(chainId), componentsOf()])
      .then(([chain, metadata, components]) => current && setLoaded({ chain, metadata, components }))
      .catch((e: unknown) => current && setError(describeError(e)));
    return () => {
      current = false;
    };
  }, [chainId]);

  if (!canOpen(user.authority, 'ruleChains')) return <Navigate to="/" replace />;
  if (error) return <Alert color="red">{error}</Alert>;
  if (!loaded) {
    return (
      <Center h={300}>
        <Loader />
      </Center>
    );
  }
  return (
    <ReactFlowProvider>
      <Editor key={chainId} {...loaded} />
    </ReactFlowProvider>
  );
}

const baseOf = ({ nodes: _n, connections: _c, firstNodeIndex: _f, ...base }: RuleChainMetaData) => base;

function Editor(props: Loaded) {
  const initial = useMemo(() => toGraph(props.metadata), [props.metadata]);
  const [chain, setChain] = useState(props.chain);
  const [nodes, setNodes, onNodesChange] = useNodesState<FlowNode>(initial.nodes);
  const [edges, setEdges, onEdgesChange] = useEdgesState<FlowEdge>(initial.edges);
  const [base, setBase] = useState(() => baseOf(props.metadata));
  const [saved, setSaved] = useState(() => JSON.stringify(toMetadata(initial, baseOf(props.metadata))));
  const [selected, setSelected] = useState<string | null>(null);
  const [pending, setPending] = useState<Connection | null>(null);
  const [busy, setBusy] = useState(false);
  const [paletteOpen, setPaletteOpen] = useState(false);
  const [debugOpen, setDebugOpen] = useState(false);
  const [stats, setStats] = useState<NodeStats[] | null>(null);
  const [statsError, setStatsError] = useState<string | null>(null);
  const phone = useMediaQuery('(max-width: 48em)') ?? false;
  const canvas = useRef<HTMLDivElement>(null);
  const { screenToFlowPosition } = useReactFlow();
  const chainId = chain.id!.id;

  const byClass = useMemo(() => new Map(props.components.map((c) => [c.clazz, c])), [props.components]);
  const statsById = useMemo(() => new Map((debugOpen ? stats ?? [] : []).map((s) => [s.ruleNodeId, s])), [stats, debugOpen]);
  const current = useMemo(() => toMetadata({ nodes, edges }, base), [nodes, edges, base]);
  const dirty = JSON.stringify(current) !== saved;
  const selectedNode = nodes.find((n) => n.id === selected);

  useEffect(() => {
    if (!debugOpen) return;
    let live = true;
    const load = () =>
      nodeStats(chainId)
        .then((s) => live && (setStats(s), setStatsError(null)))
        .catch((e: unknown) => live && setStatsError(describeError(e)));
    void load();
    const timer = window.setInterval(load, STATS_EVERY_MS);
    return () => {
      live = false;
      window.clearInterval(timer);
    };
  }, [debugOpen, chainId]);

  const addNode = useCallback(
    (descriptor: ComponentDescriptor, position: XYPosition) => {
      const node = ruleFlowNode(newRuleNode(descriptor, position));
      setNodes((all) => [...all.map((n) => ({ ...n, selected: false })), { ...node, selected: true }]);
      setSelected(node.id);
      setPaletteOpen(false);
    },
    [setNodes],
  );

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    const descriptor = byClass.get(event.dataTransfer.getData(DRAG_TYPE));
    if (descriptor) addNode(descriptor, screenToFlowPosition({ x: event.clientX, y: event.clientY }));
  };

  const addInView = (descriptor: ComponentDescriptor) => {
    const box = canvas.current?.getBoundingClientRect();
    const centre = box ? { x: box.left + box.width / 2 - 90, y: box.top + box.height / 2 - 20 } : { x: 0, y: 0 };
    addNode(descriptor, screenToFlowPosition(centre));
  };

  const onConnect = (connection: Connection) => {
    if (connection.source === INPUT_ID) setEdges((all) => withFirstNode(all, connection.target));
    else setPending(connection);
  };

  const pendingSource = pending ? nodes.find((n) => n.id === pending.source) : undefined;
  const pendingChoices =
    pendingSource && isRuleNode(pendingSource) ? relationChoices(byClass.get(pendingSource.data.rule.type)) : null;
  const nameOf = (id: string | undefined) => {
    const node = nodes.find((n) => n.id === id);
    return node && isRuleNode(node) ? node.data.rule.name : 'Input';
  };

  const updateRule = (id: string, rule: RuleNode) =>
    setNodes((all) => all.map((n) => (n.id === id && isRuleNode(n) ? { ...n, data: { rule } } : n)));

  const removeNode = (id: string) => {
    setNodes((all) => all.filter((n) => n.id !== id));
    setEdges((all) => all.filter((e) => e.source !== id && e.target !== id));
    setSelected(null);
  };

  async function save() {
    const unnamed = nodes.filter(isRuleNode).find((n) => !n.data.rule.name.trim());
    if (unnamed) {
      setSelected(unnamed.id);
      notifications.show({ color: 'red', message: 'Every node needs a name' });
      return;
    }
    setBusy(true);
    try {
      const stored = await saveMetadata({ ...current, ruleChainId: chain.id ?? null });
      const graph = toGraph(stored);
      setNodes(graph.nodes);
      setEdges(graph.edges);
      setBase(baseOf(stored));
      setSaved(JSON.stringify(toMetadata(graph, baseOf(stored))));
      setSelected(null);
      notifications.show({ color: 'green', message: `Saved ${chain.name}` });
    } catch (e) {
      notifications.show({ color: 'red', message: describeError(e) });
    } finally {
      setBusy(false);
    }
  }

  async function makeRoot() {
    try {
      setChain(await setRoot(chainId));
      notifications.show({ color: 'green', message: `${chain.name} is the root chain` });
    } catch (e) {
      notifications.show({ color: 'red', message: describeError(e) });
    }
  }

  const side =
    selectedNode && isRuleNode(selectedNode) ? (
      <NodePanel
        key={selectedNode.id}
        node={selectedNode}
        nodes={nodes}
        edges={edges}
        onChange={(rule) => updateRule(selectedNode.id, rule)}
        onDelete={() => removeNode(selectedNode.id)}
        onDeleteEdge={(edgeId) => setEdges((all) => all.filter((e) => e.id !== edgeId))}
        onConnect={(target, labels) => setEdges((all) => addRelations(all, selectedNode.id, target, labels))}
        onMakeFirst={() => setEdges((all) => withFirstNode(all, selectedNode.id))}
      />
    ) : null;
  const debug = debugOpen ? <DebugPanel stats={stats} error={statsError} selected={side ? selected : null} /> : null;
  const palette = <Palette components={props.components} onPick={addInView} />;

  return (
    <EditorContext.Provider value={{ byClass, stats: statsById }}>
      <Stack gap="xs" className="rule-chain-editor">
        <Group justify="space-between" gap="xs">
          <Group gap="xs" wrap="nowrap" style={{ minWidth: 0 }}>
            <Button component={Link} to="/rule-chains" variant="subtle" size="compact-sm" px={4} aria-label="Back to rule chains">
              <IconArrowLeft size={18} />
            </Button>
            <Title order={2} size="h4" lineClamp={1} data-testid="chain-name">
              {chain.name}
            </Title>
            {chain.root && (
              <Badge variant="light" color="teal" data-testid="root-badge" style={{ flexShrink: 0 }}>
                Root
              </Badge>
            )}
            {dirty && (
              <Badge variant="light" color="orange" data-testid="unsaved" style={{ flexShrink: 0 }}>
                Unsaved
              </Badge>
            )}
          </Group>
          <Group gap="xs">
            {phone && (
              <Button size="xs" variant="default" leftSection={<IconLayoutSidebar size={16} />} onClick={() => setPaletteOpen(true)}>
                Nodes
              </Button>
            )}
            <Button size="xs" variant={debugOpen ? 'light' : 'default'} leftSection={<IconBug size={16} />} onClick={() => setDebugOpen((o) => !o)} aria-pressed={debugOpen}>
              Debug
            </Button>
            <Button size="xs" variant="default" leftSection={<IconDownload size={16} />} onClick={() => downloadJson(exportFileName(chain.name), toChainFile(chain, current))}>
              Export
            </Button>
            {!chain.root && (
              <Button size="xs" variant="default" leftSection={<IconFlag size={16} />} onClick={makeRoot}>
                Set as root
              </Button>
            )}
            <Button size="xs" leftSection={<IconDeviceFloppy size={16} />} onClick={save} loading={busy} disabled={!dirty}>
              Save
            </Button>
          </Group>
        </Group>
        <Group gap="xs" align="stretch" wrap="nowrap" style={{ flex: 1, minHeight: 0 }}>
          {!phone && (
            <Paper withBorder p="xs" w={200} style={{ flexShrink: 0 }}>
              {palette}
            </Paper>
          )}
          <Paper withBorder style={{ flex: 1, minWidth: 0, overflow: 'hidden' }} ref={canvas} data-testid="canvas">
            <ReactFlow<FlowNode, FlowEdge>
              nodes={nodes}
              edges={edges}
              nodeTypes={NODE_TYPES}
              onNodesChange={onNodesChange}
              onEdgesChange={onEdgesChange}
              onConnect={onConnect}
              isValidConnection={(c) => canConnect(c.source, c.target)}
              onNodeClick={(_, node) => setSelected(isRuleNode(node) ? node.id : null)}
              onPaneClick={() => setSelected(null)}
              onNodesDelete={(deleted) => deleted.some((n) => n.id === selected) && setSelected(null)}
              onDragOver={(e) => {
                e.preventDefault();
                e.dataTransfer.dropEffect = 'move';
              }}
              onDrop={onDrop}
              deleteKeyCode={['Backspace', 'Delete']}
              defaultEdgeOptions={{ markerEnd: { type: MarkerType.ArrowClosed }, labelBgPadding: [6, 3], labelBgBorderRadius: 4 }}
              fitView
              minZoom={0.2}
              proOptions={{ hideAttribution: true }}
            >
              <Background gap={16} />
              <Controls showInteractive={false} />
            </ReactFlow>
          </Paper>
          {!phone && (side || debug) && (
            <Paper withBorder w={340} style={{ flexShrink: 0 }}>
              <ScrollArea h="100%" p="sm" type="auto">
                <Stack gap="md">
                  {debug}
                  {side}
                </Stack>
              </ScrollArea>
            </Paper>
          )}
        </Group>
        {phone && (
          <>
            <Drawer opened={paletteOpen} onClose={() => setPaletteOpen(false)} title="Nodes" size="85%">
              <div style={{ height: 'calc(100dvh - 90px)' }}>{palette}</div>
            </Drawer>
            <Drawer
              opened={Boolean(side || debug)}
              onClose={() => {
                setSelected(null);
                setDebugOpen(false);
              }}
              position="bottom"
              size="75%"
              title={side ? 'Node' : 'Debug'}
            >
              <Stack gap="md">
                {debug}
                {side}
              </Stack>
            </Drawer>
          </>
        )}
        {!phone && (
          <Text size="xs" c="dimmed">
            Drag a node from the palette onto the canvas; drag from a node's right handle to another node to connect
            them; select a node or relation and press Delete to remove it.
          </Text>
        )}
      </Stack>
      <RelationModal
        choices={pending ? pendingChoices ?? [] : null}
        title={pending ? `${nameOf(pending.source)} → ${nameOf(pending.target)}` : ''}
        onCancel={() => setPending(null)}
        onDone={(labels) => {
          if (pending) setEdges((all) => addRelations(all, pending.source, pending.target, labels));
          setPending(null);
        }}
      />
    </EditorContext.Provider>
  );
}
