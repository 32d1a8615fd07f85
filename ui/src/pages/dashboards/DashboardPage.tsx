import 'react-grid-layout/css/styles.css';
import { Alert, Badge, Button, Card, Center, Group, Loader, Modal, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconArrowLeft, IconDeviceFloppy, IconEdit, IconPlus, IconX } from '@tabler/icons-react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { GridLayout, useContainerWidth, type Layout } from 'react-grid-layout';
import { Link, useBlocker, useParams } from 'react-router';
import { describeError } from '../../api/errors';
import { useUser } from '../../auth/session';
import { apiLookup, dashboard as loadDashboard, saveDashboard } from '../../dashboards/api';
import { cachedLookup } from '../../dashboards/datasource';
import { addWidget, applyGrid, GRID_COLUMNS, gridItems, normalizeConfiguration, removeWidget, setTimewindow, type GridItem } from '../../dashboards/config';
import { LIBRARY, type WidgetKind } from '../../dashboards/library';
import { LiveHub } from '../../dashboards/live';
import type { Dashboard, DashboardConfiguration } from '../../dashboards/types';
import { liveLatest } from '../../live/sources';
import { RuntimeContext, type DashboardRuntime } from './runtime';
import { TimewindowControl } from './TimewindowControl';
import { WidgetConfigModal } from './WidgetConfigModal';
import { WidgetView } from './WidgetView';

const ROW_HEIGHT = 40;
const MARGIN = 8;
/** Below this width the grid becomes one column, widgets in layout order (phones). */
const NARROW_PX = 640;

/** One dashboard: live view for everyone, and the builder for tenant admins. */
export function DashboardPage() {
  const { dashboardId } = useParams();
  const user = useUser();
  const canEdit = user.authority === 'TENANT_ADMIN';
  const [stored, setStored] = useState<Dashboard | null>(null);
  const [config, setConfig] = useState<DashboardConfiguration | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);
  const [dirty, setDirty] = useState(false);
  const [saving, setSaving] = useState(false);
  const [configuring, setConfiguring] = useState<string | null>(null);
  const [library, setLibrary] = useState(false);
  const [title, setTitle] = useState('');

  useEffect(() => {
    if (!dashboardId) return;
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

  const hub = useMemo(() => new LiveHub(liveLatest), []);
  useEffect(() => () => hub.close(), [hub]);
  const names = useRef(new Map<string, Promise<string>>());
  const lookup = useMemo(() => cachedLookup(apiLookup(user.authority === 'CUSTOMER_USER' ? user.customerId?.id : undefined)), [user]);
  const runtime: DashboardRuntime | null = useMemo(
    () => (config ? { hub, timewindow: config.timewindow, aliases: config.entityAliases, lookup, names: names.current, interactive: !editing } : null),
    [hub, config?.timewindow, config?.entityAliases, lookup, editing], // the runtime follows only these parts
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
    const [next, id] = addWidget(config, kind);
    change(next);
    setLibrary(false);
    setConfiguring(id);
  }

  if (error) return <Alert color="red" title="Cannot open the dashboard">{error}</Alert>;
  if (!config || !stored || !runtime) return <Center h={200}><Loader /></Center>;

  const timewindowChange = (tw: DashboardConfiguration['timewindow']) => {
    const next = setTimewindow(config, tw);
    if (editing) change(next);
    else setConfig(next); // viewers may change the window without saving it
  };

  return (
    <RuntimeContext.Provider value={runtime}>
      <Group justify="space-between" mb="sm" gap="xs">
        <Group gap="xs" wrap="nowrap" style={{ minWidth: 0 }}>
          <Button component={Link} to="/dashboards" variant="subtle" px={6} aria-label="Back to dashboards">
            <IconArrowLeft size={18} />
          </Button>
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
          <TimewindowControl value={config.timewindow} onChange={timewindowChange} />
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
      {Object.keys(config.widgets).length === 0 && (
        <Center h={160}>
          <Text c="dimmed">{editing ? 'Add a widget from the library.' : canEdit ? 'This dashboard is empty: press Edit to add widgets.' : 'This dashboard is empty.'}</Text>
        </Center>
      )}
      <Grid config={config} editing={editing} onChange={change} onConfigure={setConfiguring} />
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

function Grid({ config, editing, onChange, onConfigure }: {
  config: DashboardConfiguration;
  editing: boolean;
  onChange: (next: DashboardConfiguration) => void;
  onConfigure: (id: string) => void;
}) {
  const { width, containerRef, mounted } = useContainerWidth({ initialWidth: 1024 });
  const items = gridItems(config);
  const narrow = width < NARROW_PX;
  const view = (id: string) => (
    <WidgetView widget={config.widgets[id]!} editing={editing} onConfigure={() => onConfigure(id)} onRemove={() => onChange(removeWidget(config, id))} />
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
            if (editing && !sameGrid(next, items)) onChange(applyGrid(config, next));
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
