import { ActionIcon, Button, Center, Group, Loader, Menu, Paper, Text, Tooltip } from '@mantine/core';
import { IconCopy, IconGripVertical, IconSettings, IconTrash } from '@tabler/icons-react';
import { Component, lazy, Suspense, type ComponentType, type ReactNode } from 'react';
import { describeWidget, type WidgetKind } from '../../dashboards/library';
import { widgetActions } from '../../dashboards/states';
import type { Widget } from '../../dashboards/types';
import { useRuntime } from './runtime';
import { AlarmTableWidget } from './widgets/AlarmTableWidget';
import { CardWidget } from './widgets/CardWidget';
import { AttributesFormWidget, RpcButtonWidget, RpcSwitchWidget } from './widgets/ControlWidgets';
import type { WidgetProps } from './widgets/props';
import { TableWidget } from './widgets/TableWidget';

// Charts and maps carry ECharts and Leaflet: loaded only when a dashboard shows one.
const ChartWidget = lazy(async () => ({ default: (await import('./widgets/ChartWidget')).ChartWidget }));
const GaugeWidget = lazy(async () => ({ default: (await import('./widgets/GaugeWidget')).GaugeWidget }));
const MapWidget = lazy(async () => ({ default: (await import('./widgets/MapWidget')).MapWidget }));

const RENDERERS: Record<WidgetKind, ComponentType<WidgetProps>> = {
  lineChart: ChartWidget,
  barChart: ChartWidget,
  card: CardWidget,
  gauge: GaugeWidget,
  entitiesTable: TableWidget,
  alarmTable: AlarmTableWidget,
  map: MapWidget,
  rpcButton: RpcButtonWidget,
  rpcSwitch: RpcSwitchWidget,
  attributesForm: AttributesFormWidget,
};

/** Keeps one broken widget from taking the dashboard down. */
class WidgetBoundary extends Component<{ children: ReactNode }, { error: string | null }> {
  state = { error: null as string | null };
  static getDerivedStateFromError(error: unknown) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
  render() {
    if (this.state.error) return <Center h="100%"><Text c="red" size="sm">Widget failed: {this.state.error}</Text></Center>;
    return this.props.children;
  }
}

interface Props {
  widget: Widget;
  editing: boolean;
  onConfigure: () => void;
  onRemove: () => void;
  /** Other states a copy of the widget can go to (builder). */
  copyTargets?: { value: string; label: string }[];
  onCopy?: (stateId: string) => void;
}

/** A widget's frame (title, edit buttons) around the renderer of its type. */
export function WidgetView({ widget, editing, onConfigure, onRemove, copyTargets = [], onCopy }: Props) {
  const descriptor = describeWidget(widget.typeFullFqn);
  const Renderer = descriptor ? RENDERERS[descriptor.kind] : undefined;
  const title = widget.config.showTitle === false ? '' : widget.config.title ?? descriptor?.name ?? '';
  const { runAction } = useRuntime();
  const buttons = editing ? [] : widgetActions(widget, 'headerButton');
  return (
    <Paper withBorder radius="md" h="100%" p="xs" style={{ display: 'flex', flexDirection: 'column', overflow: 'hidden' }} data-testid="widget" data-widget-title={widget.config.title ?? ''}>
      {(title || editing || buttons.length > 0) && (
        <Group justify="space-between" gap={4} wrap="nowrap" mb={4} className={editing ? 'widget-drag' : undefined} style={editing ? { cursor: 'move' } : undefined}>
          <Group gap={4} wrap="nowrap" style={{ minWidth: 0 }}>
            {editing && <IconGripVertical size={14} color="gray" />}
            <Text fw={600} size="sm" truncate>
              {title}
            </Text>
          </Group>
          {buttons.length > 0 && (
            <Group gap={2} wrap="nowrap">
              {buttons.map((action) => (
                <Button key={action.id} size="compact-xs" variant="light" onClick={() => runAction(action, null)} data-testid="widget-action">
                  {action.name}
                </Button>
              ))}
            </Group>
          )}
          {editing && (
            <Group gap={2} wrap="nowrap" className="widget-actions">
              <Tooltip label="Configure">
                <ActionIcon variant="subtle" size="sm" aria-label={`Configure ${widget.config.title ?? 'widget'}`} onClick={onConfigure}>
                  <IconSettings size={14} />
                </ActionIcon>
              </Tooltip>
              {onCopy && copyTargets.length > 0 && (
                <Menu position="bottom-end">
                  <Menu.Target>
                    <ActionIcon variant="subtle" size="sm" aria-label={`Copy ${widget.config.title ?? 'widget'} to a state`}>
                      <IconCopy size={14} />
                    </ActionIcon>
                  </Menu.Target>
                  <Menu.Dropdown>
                    <Menu.Label>Copy to state</Menu.Label>
                    {copyTargets.map((t) => (
                      <Menu.Item key={t.value} onClick={() => onCopy(t.value)}>
                        {t.label}
                      </Menu.Item>
                    ))}
                  </Menu.Dropdown>
                </Menu>
              )}
              <Tooltip label="Remove">
                <ActionIcon variant="subtle" size="sm" color="red" aria-label={`Remove ${widget.config.title ?? 'widget'}`} onClick={onRemove}>
                  <IconTrash size={14} />
                </ActionIcon>
              </Tooltip>
            </Group>
          )}
        </Group>
      )}
      <div style={{ flex: 1, minHeight: 0, position: 'relative' }}>
        {Renderer && descriptor ? (
          <WidgetBoundary>
            <Suspense fallback={<Center h="100%"><Loader size="sm" /></Center>}>
              <Renderer widget={widget} kind={descriptor.kind} />
            </Suspense>
          </WidgetBoundary>
        ) : (
          <Center h="100%">
            <Text c="dimmed" size="sm">
              Widget type {widget.typeFullFqn} is not supported here
            </Text>
          </Center>
        )}
      </div>
    </Paper>
  );
}
