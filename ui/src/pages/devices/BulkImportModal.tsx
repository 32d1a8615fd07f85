import { Alert, Button, Checkbox, FileInput, Group, Modal, ScrollArea, Select, Stack, Table, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { api } from '../../api/instance';
import { describeError } from '../../api/errors';

/** Column types of ThingsBoard's bulk import, plus our CREDENTIALS_TYPE and CUSTOMER. */
const COLUMN_TYPES = [
  'NAME',
  'TYPE',
  'LABEL',
  'DESCRIPTION',
  'SHARED_ATTRIBUTE',
  'SERVER_ATTRIBUTE',
  'TIMESERIES',
  'ACCESS_TOKEN',
  'X509',
  'MQTT_CLIENT_ID',
  'MQTT_USER_NAME',
  'MQTT_PASSWORD',
  'IS_GATEWAY',
  'CREDENTIALS_TYPE',
  'CUSTOMER',
] as const;
const KEYED = new Set(['SHARED_ATTRIBUTE', 'SERVER_ATTRIBUTE', 'TIMESERIES']);

interface Column {
  type: string;
  key: string;
}

interface RowResult {
  line: number;
  name: string | null;
  result: 'CREATED' | 'UPDATED' | 'ERROR';
  error: string | null;
}

interface ImportResult {
  created: number;
  updated: number;
  errors: number;
  results: RowResult[];
}

/** A first guess of a column's type from its header (anything unknown: a server attribute). */
export function guessColumn(header: string): Column {
  const name = header.trim();
  const normalized = name.toUpperCase().replace(/[\s-]+/g, '_');
  const aliases: Record<string, string> = {
    TOKEN: 'ACCESS_TOKEN',
    GATEWAY: 'IS_GATEWAY',
    CLIENT_ID: 'MQTT_CLIENT_ID',
    USERNAME: 'MQTT_USER_NAME',
    USER_NAME: 'MQTT_USER_NAME',
    PASSWORD: 'MQTT_PASSWORD',
    PROFILE: 'TYPE',
  };
  const type = aliases[normalized] ?? normalized;
  if ((COLUMN_TYPES as readonly string[]).includes(type) && !KEYED.has(type)) return { type, key: '' };
  return { type: 'SERVER_ATTRIBUTE', key: name };
}

function headerOf(text: string, delimiter: string): string[] {
  const first = text.split(/\r?\n/, 1)[0] ?? '';
  return first ? first.split(delimiter) : [];
}

interface Props {
  opened: boolean;
  onClose: () => void;
  onImported: () => void;
}

/** Imports devices from a CSV: map its columns, post it, show what happened to each row. */
export function BulkImportModal({ opened, onClose, onImported }: Props) {
  const [text, setText] = useState('');
  const [delimiter, setDelimiter] = useState(',');
  const [update, setUpdate] = useState(true);
  const [columns, setColumns] = useState<Column[]>([]);
  const [result, setResult] = useState<ImportResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function choose(file: File | null) {
    setResult(null);
    setError(null);
    if (!file) return;
    const content = await file.text();
    setText(content);
    setColumns(headerOf(content, delimiter).map(guessColumn));
  }

  function setColumn(index: number, change: Partial<Column>) {
    setColumns((current) => current.map((c, i) => (i === index ? { ...c, ...change } : c)));
  }

  async function run() {
    setBusy(true);
    setError(null);
    try {
      const body = {
        file: text,
        mapping: {
          columns: columns.map((c) => (KEYED.has(c.type) ? { type: c.type, key: c.key } : { type: c.type })),
          delimiter,
          update,
          header: true,
        },
      };
      setResult(await api.post<ImportResult>('/api/device/bulk_import', body));
      onImported();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  const headers = headerOf(text, delimiter);
  const failed = result?.results.filter((r) => r.result === 'ERROR') ?? [];

  return (
    <Modal opened={opened} onClose={onClose} title="Import devices from CSV" size="lg" centered>
      <Stack>
        {error && (
          <Alert color="red" variant="light">
            {error}
          </Alert>
        )}
        <Group align="flex-end">
          <FileInput label="CSV file" placeholder="Choose a .csv file" accept=".csv,text/csv" onChange={choose} style={{ flex: 1 }} />
          <TextInput label="Delimiter" w={90} maxLength={1} value={delimiter} onChange={(e) => setDelimiter(e.currentTarget.value || ',')} />
        </Group>
        {columns.length > 0 && (
          <ScrollArea.Autosize mah={260}>
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Column</Table.Th>
                  <Table.Th>Imports as</Table.Th>
                  <Table.Th>Key</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {columns.map((column, index) => (
                  <Table.Tr key={index}>
                    <Table.Td>{headers[index]}</Table.Td>
                    <Table.Td>
                      <Select
                        aria-label={`Type of column ${headers[index]}`}
                        data={[...COLUMN_TYPES]}
                        value={column.type}
                        allowDeselect={false}
                        onChange={(value) => setColumn(index, { type: value ?? 'NAME' })}
                      />
                    </Table.Td>
                    <Table.Td>
                      {KEYED.has(column.type) && (
                        <TextInput aria-label={`Key of column ${headers[index]}`} value={column.key} onChange={(e) => setColumn(index, { key: e.currentTarget.value })} />
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </ScrollArea.Autosize>
        )}
        <Checkbox label="Update devices that already exist" checked={update} onChange={(e) => setUpdate(e.currentTarget.checked)} />
        {result && (
          <Alert color={result.errors ? 'yellow' : 'green'} variant="light" title="Import finished">
            Created {result.created}, updated {result.updated}, failed {result.errors}.
          </Alert>
        )}
        {failed.length > 0 && (
          <ScrollArea.Autosize mah={200}>
            <Table>
              <Table.Tbody>
                {failed.map((row) => (
                  <Table.Tr key={row.line}>
                    <Table.Td>Line {row.line}</Table.Td>
                    <Table.Td>{row.name}</Table.Td>
                    <Table.Td>
                      <Text size="sm" c="red">
                        {row.error}
                      </Text>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </ScrollArea.Autosize>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Close
          </Button>
          <Button loading={busy} disabled={!text || columns.length === 0} onClick={run}>
            Import
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
