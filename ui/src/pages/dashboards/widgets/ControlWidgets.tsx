import { Button, Center, Code, Group, ScrollArea, Stack, Switch, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useEffect, useState, type FormEvent } from 'react';
import { describeError } from '../../../api/errors';
import { attributeValues, saveSharedAttributes, sendRpc } from '../../../dashboards/api';
import { keyLabel } from '../../../dashboards/datasource';
import { formatValue, parseValue } from '../../../lib/format';
import { useResolved } from '../hooks';
import { useRuntime } from '../runtime';
import { setting, type WidgetProps } from './props';

function Problem({ text }: { text: string }) {
  return (
    <Center h="100%">
      <Text c="dimmed" size="sm">
        {text}
      </Text>
    </Center>
  );
}

function parseParams(text: string): unknown {
  const trimmed = text.trim();
  if (!trimmed) return {};
  try {
    return JSON.parse(trimmed);
  } catch {
    return trimmed;
  }
}

/** Sends one RPC to the first device of the data source; shows a two-way call's reply. */
export function RpcButtonWidget({ widget }: WidgetProps) {
  const { interactive } = useRuntime();
  const resolved = useResolved(widget.config.datasources);
  const device = resolved.entities.find((e) => e.entityType === 'DEVICE');
  const [busy, setBusy] = useState(false);
  const [reply, setReply] = useState<string | null>(null);
  const oneWay = Boolean(setting(widget, 'oneWay', true));
  if (!device) return <Problem text={resolved.problem ?? 'Choose a device'} />;

  async function send() {
    setBusy(true);
    try {
      const result = await sendRpc(device!.id, oneWay, setting(widget, 'method', 'reboot'), parseParams(setting(widget, 'params', '{}')));
      setReply(oneWay ? 'Sent' : formatValue(result));
    } catch (e) {
      setReply(null);
      notifications.show({ color: 'red', message: describeError(e) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <Center h="100%">
      <Stack align="center" gap="xs">
        <Button onClick={send} loading={busy} disabled={!interactive} data-testid="rpc-button">
          {setting(widget, 'buttonText', 'Send')}
        </Button>
        {reply && <Code>{reply}</Code>}
      </Stack>
    </Center>
  );
}

/** On/off by RPC (params: the new state); the shown state is read from an attribute. */
export function RpcSwitchWidget({ widget }: WidgetProps) {
  const { interactive } = useRuntime();
  const resolved = useResolved(widget.config.datasources);
  const device = resolved.entities.find((e) => e.entityType === 'DEVICE');
  const stateKey = setting(widget, 'stateKey', 'value');
  const [on, setOn] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!device) return;
    let current = true;
    const load = () =>
      void attributeValues(device, [stateKey])
        .then((values) => current && stateKey in values && setOn(values[stateKey] === true || values[stateKey] === 'true' || values[stateKey] === 1))
        .catch(() => {});
    load();
    const timer = setInterval(load, 5000);
    return () => {
      current = false;
      clearInterval(timer);
    };
  }, [device?.id, stateKey]); // the device id is what matters

  if (!device) return <Problem text={resolved.problem ?? 'Choose a device'} />;

  async function toggle(next: boolean) {
    setBusy(true);
    setOn(next);
    try {
      await sendRpc(device!.id, Boolean(setting(widget, 'oneWay', true)), setting(widget, 'setMethod', 'setValue'), next);
    } catch (e) {
      setOn(!next);
      notifications.show({ color: 'red', message: describeError(e) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <Center h="100%">
      <Switch
        size="xl"
        checked={on}
        disabled={busy || !interactive}
        onChange={(e) => void toggle(e.currentTarget.checked)}
        onLabel="ON"
        offLabel="OFF"
        data-testid="rpc-switch"
      />
    </Center>
  );
}

/** A form over the data source's attribute keys that saves them as shared attributes. */
export function AttributesFormWidget({ widget }: WidgetProps) {
  const { interactive } = useRuntime();
  const resolved = useResolved(widget.config.datasources);
  const entity = resolved.entities[0];
  const keys = resolved.sources.flatMap((s) => s.keys).filter((k) => k.type === 'attribute');
  const [values, setValues] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const names = keys.map((k) => k.name).join(',');

  useEffect(() => {
    if (!entity || !names) return;
    let current = true;
    void attributeValues(entity, names.split(','), 'SHARED_SCOPE')
      .then((found) => current && setValues(Object.fromEntries(Object.entries(found).map(([k, v]) => [k, formatValue(v)]))))
      .catch(() => {});
    return () => {
      current = false;
    };
  }, [entity?.id, names]); // the entity id and key names are what matter

  if (!entity) return <Problem text={resolved.problem ?? 'Choose an entity'} />;
  if (!keys.length) return <Problem text="Choose attribute keys" />;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    try {
      await saveSharedAttributes(entity!, Object.fromEntries(keys.map((k) => [k.name, parseValue(values[k.name] ?? '')])));
      notifications.show({ color: 'green', message: 'Attributes saved' });
    } catch (e) {
      notifications.show({ color: 'red', message: describeError(e) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <ScrollArea h="100%" type="auto">
      <form onSubmit={submit}>
        <Stack gap="xs" p={4}>
          {keys.map((k) => (
            <TextInput
              key={k.name}
              label={keyLabel(k)}
              size="xs"
              value={values[k.name] ?? ''}
              onChange={(e) => {
                const text = e.currentTarget.value;
                setValues((v) => ({ ...v, [k.name]: text }));
              }}
            />
          ))}
          <Group justify="flex-end">
            <Button type="submit" size="xs" loading={busy} disabled={!interactive}>
              Save
            </Button>
          </Group>
        </Stack>
      </form>
    </ScrollArea>
  );
}
