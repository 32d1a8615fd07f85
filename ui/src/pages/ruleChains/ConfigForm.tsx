import {
  Alert,
  Button,
  Code,
  Group,
  JsonInput,
  Loader,
  NumberInput,
  SegmentedControl,
  Stack,
  Switch,
  Text,
  TextInput,
  Textarea,
} from '@mantine/core';
import { IconPlayerPlay } from '@tabler/icons-react';
import { lazy, Suspense, useState } from 'react';
import { describeError } from '../../api/errors';
import { testScript, type RuleNode } from '../../api/ruleChains';
import { activeScriptField, SCRIPT_FIELDS, scriptSpecOf } from '../../lib/ruleNodes';

const CodeEditor = lazy(() => import('./CodeEditor'));

type Config = Record<string, unknown>;

interface Props {
  rule: RuleNode;
  onChange: (configuration: Config) => void;
}

/** A node's configuration as a form: one control per field by its JSON type, code for scripts. */
export function ConfigForm({ rule, onChange }: Props) {
  const config = rule.configuration ?? {};
  const set = (key: string, value: unknown) => onChange({ ...config, [key]: value });
  const hasLanguage = 'scriptLang' in config;
  const scriptField = activeScriptField(config);

  const fields = Object.keys(config).filter((key) => {
    if (key === 'scriptLang') return false;
    if (hasLanguage && (key === 'jsScript' || key === 'tbelScript')) return key === scriptField;
    return true;
  });

  return (
    <Stack gap="sm">
      {hasLanguage && (
        <Stack gap={4}>
          <Text size="sm" fw={500}>
            Script language
          </Text>
          <SegmentedControl
            size="xs"
            data={['TBEL', 'JS']}
            value={config.scriptLang === 'JS' ? 'JS' : 'TBEL'}
            onChange={(v) => set('scriptLang', v)}
            aria-label="Script language"
          />
        </Stack>
      )}
      {fields.map((key) => (
        <Field key={key} name={key} value={config[key]} onChange={(v) => set(key, v)} />
      ))}
      {hasLanguage && typeof config[scriptField] === 'string' && (
        <ScriptTester
          clazz={rule.type}
          script={config[scriptField] as string}
          lang={config.scriptLang === 'JS' ? 'JS' : 'TBEL'}
        />
      )}
      {fields.length === 0 && !hasLanguage && (
        <Text size="sm" c="dimmed">
          This node has nothing to configure.
        </Text>
      )}
    </Stack>
  );
}

/** `defaultTTL` → "Default TTL"-ish: the field name split into words. */
const labelOf = (key: string): string =>
  key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/^./, (c) => c.toUpperCase());

function Field({ name, value, onChange }: { name: string; value: unknown; onChange: (v: unknown) => void }) {
  const label = labelOf(name);
  if (SCRIPT_FIELDS.has(name) && (typeof value === 'string' || value === null)) {
    return (
      <Stack gap={4}>
        <Text size="sm" fw={500}>
          {label}
        </Text>
        <Suspense fallback={<Loader size="sm" />}>
          <CodeEditor value={String(value ?? '')} onChange={onChange} label={label} />
        </Suspense>
      </Stack>
    );
  }
  if (typeof value === 'boolean') {
    return <Switch label={label} checked={value} onChange={(e) => onChange(e.currentTarget.checked)} />;
  }
  if (typeof value === 'number') {
    return <NumberInput label={label} value={value} onChange={(v) => onChange(typeof v === 'number' ? v : Number(v) || 0)} />;
  }
  if (typeof value === 'string' || value === null || value === undefined) {
    return (
      <TextInput
        label={label}
        value={String(value ?? '')}
        placeholder={value === null ? 'not set' : undefined}
        onChange={(e) => onChange(e.currentTarget.value === '' && value === null ? null : e.currentTarget.value)}
      />
    );
  }
  return <JsonField label={label} value={value} onChange={onChange} />;
}

/** Objects and lists as JSON text; the configuration changes only while the text parses. */
function JsonField({ label, value, onChange }: { label: string; value: unknown; onChange: (v: unknown) => void }) {
  const [text, setText] = useState(() => JSON.stringify(value, null, 2));
  return (
    <JsonInput
      label={label}
      value={text}
      autosize
      minRows={2}
      maxRows={10}
      validationError="Not valid JSON"
      onChange={(next) => {
        setText(next);
        try {
          onChange(JSON.parse(next));
        } catch {
          // Keep the last valid value until the text parses again.
        }
      }}
    />
  );
}

/** Runs the script once on a sample message through `POST /api/ruleChain/testScript`. */
function ScriptTester({ clazz, script, lang }: { clazz: string; script: string; lang: 'JS' | 'TBEL' }) {
  const spec = scriptSpecOf(clazz);
  const [msg, setMsg] = useState('{\n  "temperature": 22.5\n}');
  const [metadata, setMetadata] = useState(
    () => JSON.stringify({ deviceName: 'Test device', deviceType: 'default', ts: String(Date.now()) }, null, 2),
  );
  const [msgType, setMsgType] = useState(spec.msgType);
  const [result, setResult] = useState<{ output: string; error: string } | null>(null);
  const [busy, setBusy] = useState(false);

  async function run() {
    setBusy(true);
    try {
      const parsedMeta = JSON.parse(metadata) as Record<string, unknown>;
      const meta = Object.fromEntries(Object.entries(parsedMeta).map(([k, v]) => [k, String(v)]));
      setResult(
        await testScript(
          { script, scriptType: spec.scriptType, argNames: spec.argNames, msg, metadata: meta, msgType },
          lang,
        ),
      );
    } catch (e) {
      setResult({ output: '', error: describeError(e) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <Stack gap="xs" p="xs" bg="gray.0" style={{ borderRadius: 'var(--mantine-radius-sm)' }}>
      <Text size="sm" fw={600}>
        Test on a sample message
      </Text>
      <Textarea label="Message" value={msg} onChange={(e) => setMsg(e.currentTarget.value)} autosize minRows={2} className="mono" />
      <Textarea label="Metadata" value={metadata} onChange={(e) => setMetadata(e.currentTarget.value)} autosize minRows={2} className="mono" />
      <TextInput label="Message type" value={msgType} onChange={(e) => setMsgType(e.currentTarget.value)} />
      <Group>
        <Button size="xs" leftSection={<IconPlayerPlay size={14} />} loading={busy} onClick={run}>
          Test script
        </Button>
      </Group>
      {result && !result.error && (
        <Stack gap={2}>
          <Text size="xs" c="dimmed">
            Output
          </Text>
          <Code block data-testid="script-output">
            {result.output}
          </Code>
        </Stack>
      )}
      {result?.error && (
        <Alert color="red" variant="light" data-testid="script-error">
          {result.error}
        </Alert>
      )}
    </Stack>
  );
}
