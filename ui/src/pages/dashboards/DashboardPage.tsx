import 'react-grid-layout/css/styles.css';
import { ActionIcon, Alert, Badge, Button, Card, Center, Group, Loader, Modal, Select, SimpleGrid, Stack, Text, TextInput, Title, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconArrowLeft, IconChevronLeft, IconDeviceFloppy, IconEdit, IconLayersSubtract, IconPlus, IconTags, IconX } from '@tabler/icons-react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { GridLayout, useContainerWidth, type Layout } from 'react-grid-layout';
import { Link, useBlocker, useLocation, useNavigate, useParams, useSearchParams } from 'react-router';
import { describeError } from '../../api/errors';
import { useUser } from '../../auth/session';
import { apiLookup, dashboard as loadDashboard, saveDashboard } from '../../dashboards/api';
import { cachedLookup, type ResolvedEntity } from '../../dashboards/datasource';
import { addWidget, applyGrid, copyWidgetToState, GRID_COLUMNS, gridItems, normalizeConfiguration, removeWidget, setTimewindow, type GridItem } from '../../dashboards/config';
import { LIBRARY, type WidgetKind } from '../../dashboards/library';
import { LiveHub } from '../../dashboards/live';
import { encodeStateParam, initialStack, navigate, openState, stateOptions, type StateFrame, type WidgetAction } from '../../dashboards/states';
import type { Dashboard, DashboardConfiguration } from '../../dashboards/types';
import { liveLatest } from '../../live/sources';
import { AliasesModal } from './AliasesModal';
import { RuntimeContext, type DashboardRuntime } from './runtime';
import { ShareMenu } from './ShareMenu';
import { StatesModal } from './StatesModal';
import { TimewindowControl } from './TimewindowControl';
import { WidgetConfigModal } from './WidgetConfigModal';
import { WidgetView } from './WidgetView';

const ROW_HEIGHT = 40;
const MARGIN = 8;
/** Below this width the grid becomes one column, widgets in layout order (phones). */
const NARROW_PX = 640;

/** One dashboard in the app: live view for everyone, and the builder for tenant admins. */
export function DashboardPage() {
  const { dashboardId } = useParams();
  const user = useUser();
  if (!dashboardId) return null;
  return <DashboardScreen key={dashboardId} dashboardId={dashboardId} canEdit={user.authority === 'TENANT_ADMIN'} backTo="/dashboards" />;
}

export interface ScreenProps {
  dashboardId: string;
  /** Tenant admins edit; everyone else only views. */
  canEdit?: boolean;
  /** Public viewers: no RPCs, no attribute writes. */
  readOnly?: boolean;
  /** Where the back arrow leads; none on a public or home dashboard. */
  backTo?: string;
  /** ThingsBoard's `hideDashboardToolbar` (home dashboards): only the state's widgets. */
  hideToolbar?: boolean;
}

/**
 * A dashboard with its states: the shown state and the entity it was opened with live in
 * the URL (`?state=`, ThingsBoard's format), so a link or a reload shows the same thing.
 */
export function DashboardScreen({ dashboardId, canEdit = false, readOnly = false, backTo, hideToolbar = false }: ScreenProps) {
  const [stored, setStored] = useState<Dashboard | null>(null);
  const [config, setConfig] = useState<DashboardConfiguration | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);
  const [dirty, setDirty] = useState(false);
  const [saving, setSaving] = useState(false);
  const [configuring, setConfiguring] = useState<string | null>(null);
  const [library, setLibrary] = useState(false);
  const [managing, setManaging] = useState<'states' | 'aliases' | null>(null);
  const [title, setTitle] = useState('');
  const [search, setSearch] = useSearchParams();
  const location = useLocation();
  const routerNavigate = useNavigate();

  useEffect(() => {
    let current = true;
    loadDashboard(dashboardId)
      .then((d) => {
        if (!current) return;
        setStored(d);
        setTitle(d.title);
        setConfig(normalizeConfiguration(d.configuration));
      })
      .catch((e: unknown) => current && setError(describeError(e)));
    return () => {
      current = false;
    };
  }, [dashboardId]);

  const stateParam = search.get('state');
  const stack: StateFrame[] = useMemo(() => (config ? initialStack(config, stateParam) : []), [config?.states, stateParam]);
  const frame = stack[stack.length - 1];
  const go = useCallback(
    (next: StateFrame[]) =>
      setSearch((prev) => {
        const params = new URLSearchParams(prev);
        if (next.length === 1 && config && Object.keys(next[0]!.params).length === 0 && next[0]!.id === initialStack(config, null)[0]!.id) params.delete('state');
        else params.set('state', encodeStateParam(next));
        return params;
      }),
    [setSearch, config],
  );

  const hub = useMemo(() => new LiveHub(liveLatest), []);
  useEffect(() => () => hub.close(), [hub]);
  const names = useRef(new Map<string, Promise<string>>());
  const lookup = useMemo(() => cachedLookup(apiLookup()), []);
  const runAction = useCallback(
    (action: WidgetAction, entity: ResolvedEntity | null) => {
      if (editing || !config || !frame) return;
      const next = navigate(config, stack, action, entity);
      if (next?.kind === 'state') go(next.stack);
      else if (next?.kind === 'dashboard') {
        // Another dashboard, on the same kind of page (the app's, or the public one with its id).
        const query = new URLSearchParams();
        const publicId = search.get('publicId');
        if (publicId) query.set('publicId', publicId);
        if (next.stack) query.set('state', encodeStateParam(next.stack));
        const onDashboardPage = /\/dashboards?\/[^/]+\/?$/.test(location.pathname);
        const path = onDashboardPage ? location.pathname.replace(/[^/]+\/?$/, next.dashboardId) : `/dashboards/${next.dashboardId}`;
        const text = query.toString();
        routerNavigate(text ? `${path}?${text}` : path);
      }
    },
    [editing, config, frame, stack, go, search, location.pathname, routerNavigate],
  );
  const runtime: DashboardRuntime | null = useMemo(
    () =>
      config && frame
        ? { hub, timewindow: config.timewindow, aliases: config.entityAliases, lookup, names: names.current, interactive: !editing && !readOnly, stateParams: frame.params, runAction }
        : null,
    [hub, config?.timewindow, config?.entityAliases, lookup, editing, readOnly, frame, runAction], // the runtime follows only these parts
  );
  // Unsaved changes: ask before leaving the page (in the app or by reloading the tab).
  const blocker = useBlocker(({ currentLocation, nextLocation }) => dirty && currentLocation.pathname !== nextLocation.pathname);
  useEffect(() => {
    if (blocker.state !== 'blocked') return;
    if (window.confirm('Leave without saving the dashboard?')) blocker.proceed();
    else blocker.reset();
  }, [blocker]);
  useEffect(() => {
    if (!dirty) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirty]);

  const change = useCallback((next: DashboardConfiguration) => {
    setConfig(next);
    setDirty(true);
  }, []);

  async function save() {
    if (!stored || !config) return;
    setSaving(true);
    try {
      const saved = await saveDashboard({ ...stored, title: title.trim() || stored.title, configuration: config });
      setStored(saved);
      setTitle(saved.title);
      setConfig(normalizeConfiguration(saved.configuration));
      setDirty(false);
      setEditing(false);
      notifications.show({ color: 'green', message: 'Dashboard saved' });
    } catch (e) {
      notifications.show({ color: 'red', message: describeError(e) });
    } finally {
      setSaving(false);
    }
  }

  function cancel() {
    if (dirty && !window.confirm('Discard the changes?')) return;
    if (stored) {
      setConfig(normalizeConfiguration(stored.configuration));
      setTitle(stored.title);
    }
    setDirty(false);
    setEditing(false);
  }

  function add(kind: WidgetKind) {
    if (!config) return;
    const [next, id] = addWidget(config, kind, undefined, frame?.id);
    change(next);
    setLibrary(false);
    setConfiguring(id);
  }

  if (error) return <Alert color="red" title="Cannot open the dashboard">{error}</Alert>;
  if (!config || !stored || !runtime || !frame) return <Center h={200}><Loader /></Center>;
  const stateId = frame.id;
  const states = stateOptions(config, frame);
  const toolbar = !hideToolbar || editing;

  const timewindowChange = (tw: DashboardConfiguration['timewindow']) => {
    const next = setTimewindow(config, tw);
    if (editing) change(next);
    else setConfig(next); // viewers may change the window without saving it
  };

  return (
    <RuntimeContext.Provider value={runtime}>
      {toolbar && (
      <Group justify="space-between" mb="sm" gap="xs">
        <Group gap="xs" wrap="nowrap" style={{ minWidth: 0 }}>
          {backTo && (
            <Button component={Link} to={backTo} variant="subtle" px={6} aria-label="Back to dashboards">
              <IconArrowLeft size={18} />
            </Button>
          )}
          {editing ? (
            <TextInput
              aria-label="Dashboard title"
              value={title}
              onChange={(e) => {
                setTitle(e.currentTarget.value);
                setDirty(true);
              }}
              data-testid="dashboard-title-edit"
            />
          ) : (
            <Title order={2} size="h3" lineClamp={1} data-testid="dashboard-title">
              {stored.title}
            </Title>
          )}
          {dirty && <Badge color="orange" variant="light">unsaved</Badge>}
        </Group>
        <Group gap="xs">
          {stack.length > 1 && (
            <Tooltip label="Back to the previous state">
              <ActionIcon variant="default" size="lg" aria-label="Previous state" onClick={() => go(stack.slice(0, -1))} data-testid="state-back">
                <IconChevronLeft size={18} />
              </ActionIcon>
            </Tooltip>
          )}
          {(states.length > 1 || editing) && (
            <Select
              aria-label="Dashboard state"
              data={states}
              value={stateId}
              onChange={(id) => id && go(openState(config, stack, id))}
              allowDeselect={false}
              w={180}
              data-testid="state-select"
            />
          )}
          <TimewindowControl value={config.timewindow} onChange={timewindowChange} />
          {canEdit && !editing && <ShareMenu dashboard={stored} onChange={setStored} />}
          {canEdit && !editing && (
            <Button leftSection={<IconEdit size={16} />} onClick={() => setEditing(true)} data-testid="edit-dashboard">
              Edit
            </Button>
          )}
          {editing && (
            <>
              <Button variant="light" leftSection={<IconPlus size={16} />} onClick={() => setLibrary(true)} data-testid="add-widget">
                Add widget
              </Button>
              <Button variant="light" leftSection={<IconLayersSubtract size={16} />} onClick={() => setManaging('states')} data-testid="manage-states">
                States
              </Button>
              <Button variant="light" leftSection={<IconTags size={16} />} onClick={() => setManaging('aliases')} data-testid="manage-aliases">
                Aliases
              </Button>
              <Button variant="default" leftSection={<IconX size={16} />} onClick={cancel}>
                Cancel
              </Button>
              <Button leftSection={<IconDeviceFloppy size={16} />} loading={saving} onClick={save} data-testid="save-dashboard">
                Save
              </Button>
            </>
          )}
        </Group>
      </Group>
      )}
      {gridItems(config, stateId).length === 0 && (
        <Center h={160}>
          <Text c="dimmed">{editing ? 'Add a widget from the library.' : canEdit ? 'This dashboard is empty: press Edit to add widgets.' : 'This dashboard is empty.'}</Text>
        </Center>
      )}
      <Grid config={config} stateId={stateId} editing={editing} onChange={change} onConfigure={setConfiguring} />
      <StatesModal opened={managing === 'states'} config={config} onClose={() => setManaging(null)} onChange={change} onOpen={(id, next) => go(openState(next, stack, id))} />
      <AliasesModal opened={managing === 'aliases'} config={config} onClose={() => setManaging(null)} onChange={change} />
      <WidgetConfigModal
        config={config}
        widgetId={configuring}
        onClose={() => setConfiguring(null)}
        onApply={(next) => {
          change(next);
          setConfiguring(null);
        }}
      />
      <Modal opened={library} onClose={() => setLibrary(false)} title="Widget library" size="xl">
        <SimpleGrid cols={{ base: 1, xs: 2, md: 3 }} spacing="sm">
          {LIBRARY.map((d) => (
            <Card key={d.kind} withBorder padding="sm" radius="md" component="button" type="button" onClick={() => add(d.kind)} style={{ textAlign: 'left', cursor: 'pointer' }} data-testid={`library-${d.kind}`}>
              <Stack gap={2}>
                <Text fw={600} size="sm">{d.name}</Text>
                <Text size="xs" c="dimmed">{d.description}</Text>
              </Stack>
            </Card>
          ))}
        </SimpleGrid>
      </Modal>
    </RuntimeContext.Provider>
  );
}

function sameGrid(a: readonly GridItem[], b: readonly GridItem[]): boolean {
  if (a.length !== b.length) return false;
  const byId = new Map(b.map((item) => [item.i, item]));
  return a.every((item) => {
    const other = byId.get(item.i);
    return other !== undefined && other.x === item.x && other.y === item.y && other.w === item.w && other.h === item.h;
  });
}

function Grid({ config, stateId, editing, onChange, onConfigure }: {
  config: DashboardConfiguration;
  stateId: string;
  editing: boolean;
  onChange: (next: DashboardConfiguration) => void;
  onConfigure: (id: string) => void;
}) {
  const { width, containerRef, mounted } = useContainerWidth({ initialWidth: 1024 });
  const items = gridItems(config, stateId);
  const narrow = width < NARROW_PX;
  const view = (id: string) => (
    <WidgetView
      widget={config.widgets[id]!}
      editing={editing}
      onConfigure={() => onConfigure(id)}
      onRemove={() => onChange(removeWidget(config, id, stateId))}
      copyTargets={stateOptions(config).filter((o) => o.value !== stateId)}
      onCopy={(target) => onChange(copyWidgetToState(config, id, target)[0])}
    />
  );

  if (mounted && narrow) {
    const ordered = [...items].sort((a, b) => a.y - b.y || a.x - b.x);
    return (
      <div ref={containerRef} data-testid="dashboard-grid" data-narrow="true">
        <Stack gap={MARGIN}>
          {ordered.map((item) => (
            <div key={item.i} style={{ height: Math.max(3, item.h) * ROW_HEIGHT + (item.h - 1) * MARGIN }}>
              {view(item.i)}
            </div>
          ))}
        </Stack>
      </div>
    );
  }
  return (
    <div ref={containerRef} data-testid="dashboard-grid">
      {mounted && (
        <GridLayout
          width={width}
          layout={items}
          gridConfig={{ cols: GRID_COLUMNS, rowHeight: ROW_HEIGHT, margin: [MARGIN, MARGIN], containerPadding: [0, 0] }}
          dragConfig={{ enabled: editing, handle: '.widget-drag', cancel: '.widget-actions' }}
          resizeConfig={{ enabled: editing }}
          onLayoutChange={(layout: Layout) => {
            const next = layout.map(({ i, x, y, w, h }) => ({ i, x, y, w, h }));
            if (editing && !sameGrid(next, items)) onChange(applyGrid(config, next, stateId));
          }}
        >
          {items.map((item) => (
            <div key={item.i}>{view(item.i)}</div>
          ))}
        </GridLayout>
      )}
    </div>
  );
}
