import { Button, Checkbox, Divider, Group, Modal, NumberInput, SegmentedControl, Select, Stack, TagsInput, Text, TextInput } from '@mantine/core';
import { useEffect, useState } from 'react';
import { api } from '../../api/instance';
import type { EntityId } from '../../api/types';
import { apiLookup, findDevices } from '../../dashboards/api';
import { resolveAlias } from '../../dashboards/datasource';
import { newId, updateWidget } from '../../dashboards/config';
import { describeWidget } from '../../dashboards/library';
import { stateOptions, widgetActions, withActions, type ActionSource } from '../../dashboards/states';
import { useRuntime } from './runtime';
import { WidgetActionsEditor, type ActionsBySource } from './WidgetActionsEditor';
import type { DashboardConfiguration, DataKey, Datasource, EntityAlias, Widget } from '../../dashboards/types';

type SourceMode = 'device' | 'alias';
type AliasKind = 'singleEntity' | 'entityName' | 'deviceType';

interface Props {
  config: DashboardConfiguration;
  widgetId: string | null;
  customerId?: string;
  onClose: () => void;
  onApply: (config: DashboardConfiguration) => void;
}

/** Edit one widget: title, units, decimals, data source (a device or an entity alias), keys, settings. */
export function WidgetConfigModal(props: Props) {
  const widget = props.widgetId ? props.config.widgets[props.widgetId] : undefined;
  return (
    <Modal opened={Boolean(widget)} onClose={props.onClose} title="Configure widget" size="lg">
      {widget && <ConfigForm key={widget.id} {...props} widget={widget} />}
    </Modal>
  );
}

function ConfigForm({ config, widget, customerId, onClose, onApply }: Props & { widget: Widget }) {
  const descriptor = describeWidget(widget.typeFullFqn);
  const source: Datasource | undefined = widget.config.datasources[0];
  const [title, setTitle] = useState(widget.config.title ?? '');
  const [showTitle, setShowTitle] = useState(widget.config.showTitle !== false);
  const [units, setUnits] = useState(widget.config.units ?? '');
  const [decimals, setDecimals] = useState<number | string>(widget.config.decimals ?? '');
  const [mode, setMode] = useState<SourceMode>(source?.type === 'entity' ? 'alias' : 'device');
  const [deviceId, setDeviceId] = useState<string | null>(source?.deviceId ?? null);
  const [aliasId, setAliasId] = useState<string | null>(source?.entityAliasId ?? null);
  const [aliases, setAliases] = useState<Record<string, EntityAlias>>(config.entityAliases);
  const keysOf = (type: DataKey['type']) => (source?.dataKeys ?? []).filter((k) => k.type === type).map((k) => k.name);
  const [tsKeys, setTsKeys] = useState<string[]>(keysOf('timeseries'));
  const [attrKeys, setAttrKeys] = useState<string[]>(keysOf('attribute'));
  const [settings, setSettings] = useState<Record<string, unknown>>({ ...(widget.config.settings ?? {}) });
  const [devices, setDevices] = useState<{ value: string; label: string }[]>([]);
  const [search, setSearch] = useState('');
  const [suggested, setSuggested] = useState<string[]>([]);
  const actionSources: ActionSource[] = descriptor?.kind === 'entitiesTable' ? ['headerButton', 'rowClick'] : ['headerButton'];
  const [actions, setActions] = useState<ActionsBySource>(() =>
    Object.fromEntries(actionSources.map((s) => [s, widgetActions(widget, s)])),
  );

  useEffect(() => {
    let current = true;
    void findDevices(search, customerId)
      .then((found) => {
        if (!current) return;
        const options = found.map((d) => ({ value: d.id!.id, label: d.name }));
        setDevices((known) => {
          const selected = known.filter((o) => o.value === deviceId && !options.some((x) => x.value === o.value));
          return [...selected, ...options];
        });
      })
      .catch(() => {});
    return () => {
      current = false;
    };
  }, [search, customerId, deviceId]);

  useEffect(() => {
    if (deviceId && !devices.some((d) => d.value === deviceId)) {
      void api.get<{ name: string }>(`/api/device/${deviceId}`).then((d) => setDevices((k) => [{ value: deviceId, label: d.name }, ...k])).catch(() => {});
    }
  }, [deviceId, devices]);

  // Key suggestions: the time-series keys of the chosen device, or of the alias's first entity.
  const { stateParams } = useRuntime();
  const alias = mode === 'alias' && aliasId ? aliases[aliasId] : undefined;
  const [suggestFrom, setSuggestFrom] = useState<EntityId<string> | null>(null);
  useEffect(() => {
    if (mode === 'device') {
      setSuggestFrom(deviceId ? { entityType: 'DEVICE', id: deviceId } : null);
      return;
    }
    if (!alias) {
      setSuggestFrom(null);
      return;
    }
    let current = true;
    resolveAlias(alias, apiLookup(), stateParams)
      .then((found) => current && setSuggestFrom(found[0] ? { entityType: found[0].entityType, id: found[0].id } : null))
      .catch(() => current && setSuggestFrom(null));
    return () => {
      current = false;
    };
  }, [mode, deviceId, JSON.stringify(alias?.filter), stateParams]);
  useEffect(() => {
    if (!suggestFrom) return;
    let current = true;
    void api
      .get<string[]>(`/api/plugins/telemetry/${suggestFrom.entityType}/${suggestFrom.id}/keys/timeseries`)
      .then((keys) => current && setSuggested(keys))
      .catch(() => {});
    return () => {
      current = false;
    };
  }, [suggestFrom?.entityType, suggestFrom?.id]); // the entity identity is what matters

  const wantsKeys = descriptor?.keyTypes ?? ['timeseries', 'attribute'];
  const set = (name: string, value: unknown) => setSettings((s) => ({ ...s, [name]: value }));

  function apply() {
    const dataKeys: DataKey[] = [
      ...tsKeys.map((name) => ({ name, type: 'timeseries' as const, label: name })),
      ...attrKeys.map((name) => ({ name, type: 'attribute' as const, label: name })),
    ];
    const datasources: Datasource[] =
      mode === 'device'
        ? deviceId
          ? [{ type: 'device', deviceId, dataKeys }]
          : []
        : aliasId
          ? [{ type: 'entity', entityAliasId: aliasId, dataKeys }]
          : [];
    let withAllActions = widget;
    for (const s of actionSources) withAllActions = withActions(withAllActions, s, actions[s] ?? []);
    const next: Widget = {
      ...withAllActions,
      config: {
        ...withAllActions.config,
        title,
        showTitle,
        units: units || undefined,
        decimals: decimals === '' ? undefined : Number(decimals),
        datasources,
        settings,
      },
    };
    onApply(updateWidget({ ...config, entityAliases: aliases }, next));
  }

  return (
    <Stack gap="sm">
      <Group grow align="flex-end">
        <TextInput label="Title" value={title} onChange={(e) => setTitle(e.currentTarget.value)} data-testid="widget-title" />
        <Checkbox label="Show title" checked={showTitle} onChange={(e) => setShowTitle(e.currentTarget.checked)} mb={8} />
      </Group>
      <Group grow>
        <TextInput label="Units" placeholder="°C" value={units} onChange={(e) => setUnits(e.currentTarget.value)} />
        <NumberInput label="Decimals" min={0} max={10} value={decimals} onChange={setDecimals} />
      </Group>
      <Divider label="Data source" labelPosition="left" />
      <SegmentedControl
        value={mode}
        onChange={(m) => setMode(m as SourceMode)}
        data={[
          { value: 'device', label: 'Device' },
          { value: 'alias', label: 'Entity alias' },
        ]}
      />
      {mode === 'device' ? (
        <Select
          label="Device"
          searchable
          data={devices}
          value={deviceId}
          onChange={setDeviceId}
          onSearchChange={setSearch}
          nothingFoundMessage="No devices"
          placeholder="Search devices"
          data-testid="device-select"
        />
      ) : (
        <AliasPicker aliases={aliases} value={aliasId} onChange={setAliasId} onAdd={(alias) => { setAliases((a) => ({ ...a, [alias.id]: alias })); setAliasId(alias.id); }} devices={devices} />
      )}
      {wantsKeys.includes('timeseries') && (
        <TagsInput label="Time-series keys" placeholder="temperature" data={suggested} value={tsKeys} onChange={setTsKeys} data-testid="ts-keys" />
      )}
      {wantsKeys.includes('attribute') && (
        <TagsInput label="Attribute keys" placeholder="model" value={attrKeys} onChange={setAttrKeys} />
      )}
      <KindSettings kind={descriptor?.kind} settings={settings} set={set} />
      <Divider label="Actions" labelPosition="left" />
      <WidgetActionsEditor sources={actionSources} states={stateOptions(config)} value={actions} onChange={setActions} />
      <Group justify="flex-end">
        <Button variant="default" onClick={onClose}>
          Cancel
        </Button>
        <Button onClick={apply} data-testid="widget-apply">
          Apply
        </Button>
      </Group>
    </Stack>
  );
}

function AliasPicker(props: {
  aliases: Record<string, EntityAlias>;
  value: string | null;
  onChange: (id: string | null) => void;
  onAdd: (alias: EntityAlias) => void;
  devices: { value: string; label: string }[];
}) {
  const [name, setName] = useState('');
  const [kind, setKind] = useState<AliasKind>('singleEntity');
  const [device, setDevice] = useState<string | null>(null);
  const [text, setText] = useState('');

  function add() {
    const filter =
      kind === 'singleEntity'
        ? { type: 'singleEntity', singleEntity: { entityType: 'DEVICE', id: device ?? '' } }
        : kind === 'entityName'
          ? { type: 'entityName', entityType: 'DEVICE', entityNameFilter: text }
          : { type: 'deviceType', deviceTypes: text.split(',').map((t) => t.trim()).filter(Boolean), deviceNameFilter: '' };
    const id = newId();
    props.onAdd({ id, alias: name.trim() || 'Alias', filter, resolveMultiple: kind !== 'singleEntity' });
    setName('');
  }

  return (
    <Stack gap="xs">
      <Select
        label="Alias"
        data={Object.values(props.aliases).map((a) => ({ value: a.id, label: `${a.alias} (${a.filter.type})` }))}
        value={props.value}
        onChange={props.onChange}
        placeholder="Choose an alias"
      />
      <Text size="xs" c="dimmed">
        Or add one:
      </Text>
      <Group grow align="flex-end">
        <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} />
        <Select
          label="Picks"
          value={kind}
          onChange={(k) => k && setKind(k as AliasKind)}
          allowDeselect={false}
          data={[
            { value: 'singleEntity', label: 'One device' },
            { value: 'entityName', label: 'Devices by name prefix' },
            { value: 'deviceType', label: 'Devices by type' },
          ]}
        />
      </Group>
      <Group grow align="flex-end">
        {kind === 'singleEntity' ? (
          <Select label="Device" data={props.devices} value={device} onChange={setDevice} searchable />
        ) : (
          <TextInput label={kind === 'entityName' ? 'Name starts with' : 'Device types (comma separated)'} value={text} onChange={(e) => setText(e.currentTarget.value)} />
        )}
        <Button variant="light" onClick={add} disabled={kind === 'singleEntity' ? !device : !text.trim()}>
          Add alias
        </Button>
      </Group>
    </Stack>
  );
}

function KindSettings({ kind, settings, set }: { kind?: string; settings: Record<string, unknown>; set: (name: string, value: unknown) => void }) {
  const text = (name: string, label: string, placeholder?: string) => (
    <TextInput label={label} placeholder={placeholder} value={String(settings[name] ?? '')} onChange={(e) => set(name, e.currentTarget.value)} />
  );
  const oneWay = (
    <Checkbox label="One-way (do not wait for the device's reply)" checked={settings.oneWay !== false} onChange={(e) => set('oneWay', e.currentTarget.checked)} />
  );
  switch (kind) {
    case 'gauge':
      return (
        <Group grow>
          <NumberInput label="Min" value={Number(settings.min ?? 0)} onChange={(v) => set('min', Number(v))} />
          <NumberInput label="Max" value={Number(settings.max ?? 100)} onChange={(v) => set('max', Number(v))} />
        </Group>
      );
    case 'map':
      return (
        <Stack gap="xs">
          {text('tileUrl', 'Tile URL', 'https://tile.openstreetmap.org/{z}/{x}/{y}.png')}
          <Group grow>
            {text('latitudeKey', 'Latitude key', 'latitude')}
            {text('longitudeKey', 'Longitude key', 'longitude')}
          </Group>
        </Stack>
      );
    case 'alarmTable':
      return (
        <Select
          label="Status"
          value={String(settings.status ?? 'ACTIVE')}
          onChange={(v) => v && set('status', v)}
          data={['ACTIVE', 'CLEARED', 'ACK', 'UNACK', 'ANY']}
          allowDeselect={false}
        />
      );
    case 'rpcButton':
      return (
        <Stack gap="xs">
          <Group grow>
            {text('buttonText', 'Button text', 'Send')}
            {text('method', 'RPC method', 'reboot')}
          </Group>
          {text('params', 'Params (JSON)', '{}')}
          {oneWay}
        </Stack>
      );
    case 'rpcSwitch':
      return (
        <Stack gap="xs">
          <Group grow>
            {text('setMethod', 'RPC method', 'setValue')}
            {text('stateKey', 'State attribute', 'value')}
          </Group>
          {oneWay}
        </Stack>
      );
    default:
      return null;
  }
}
