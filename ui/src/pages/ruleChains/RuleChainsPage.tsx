import { ActionIcon, Badge, Button, FileButton, Group, Modal, Stack, Text, TextInput, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconDownload, IconFlag, IconPlus, IconTrash, IconUpload } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import { Navigate, useNavigate } from 'react-router';
import { describeError } from '../../api/errors';
import {
  deleteRuleChain,
  exportChains,
  importChains,
  metadataOf,
  ruleChains,
  saveRuleChain,
  setRoot,
  type RuleChain,
} from '../../api/ruleChains';
import { useUser } from '../../auth/session';
import { confirmAction } from '../../components/confirm';
import { DataTable, type Column } from '../../components/DataTable';
import { downloadJson } from '../../components/download';
import { PageHeader } from '../../components/PageHeader';
import { usePaged } from '../../components/usePaged';
import { formatTime } from '../../lib/format';
import { canOpen } from '../../lib/navigation';
import { exportFileName, importBodyOf, toChainFile } from '../../lib/ruleChainFile';

const fail = (e: unknown) => notifications.show({ color: 'red', message: describeError(e) });

/** The tenant's rule chains: open, add, import/export JSON, make root, delete. */
export function RuleChainsPage() {
  const user = useUser();
  if (!canOpen(user.authority, 'ruleChains')) return <Navigate to="/" replace />;
  return <RuleChainList />;
}

function RuleChainList() {
  const navigate = useNavigate();
  const paged = usePaged<RuleChain>(ruleChains);
  const [adding, setAdding] = useState(false);

  async function exportOne(chain: RuleChain) {
    try {
      const metadata = await metadataOf(chain.id!.id);
      downloadJson(exportFileName(chain.name), toChainFile(chain, metadata));
    } catch (e) {
      fail(e);
    }
  }

  async function exportAll() {
    try {
      downloadJson('rule_chains.json', await exportChains());
    } catch (e) {
      fail(e);
    }
  }

  async function importFile(file: File | null) {
    if (!file) return;
    try {
      const results = await importChains(importBodyOf(await file.text()));
      notifications.show({ color: 'green', message: `Imported ${results.map((r) => r.ruleChainName).join(', ')}` });
      const only = results.length === 1 ? results[0] : undefined;
      if (only) navigate(`/rule-chains/${only.ruleChainId.id}`);
      else paged.reload();
    } catch (e) {
      fail(e);
    }
  }

  async function makeRoot(chain: RuleChain) {
    if (!confirmAction(`Make "${chain.name}" the root rule chain? Device messages will go through it.`)) return;
    try {
      await setRoot(chain.id!.id);
      notifications.show({ color: 'green', message: `${chain.name} is the root chain` });
      paged.reload();
    } catch (e) {
      fail(e);
    }
  }

  async function remove(chain: RuleChain) {
    if (!confirmAction(`Delete rule chain "${chain.name}"?`)) return;
    try {
      await deleteRuleChain(chain.id!.id);
      notifications.show({ color: 'green', message: `Deleted ${chain.name}` });
      paged.reload();
    } catch (e) {
      fail(e);
    }
  }

  const columns: Column<RuleChain>[] = [
    {
      key: 'name',
      label: 'Name',
      sort: 'name',
      render: (c) => (
        <Group gap="xs" wrap="nowrap">
          <Text size="sm" fw={600}>
            {c.name}
          </Text>
          {c.root && (
            <Badge variant="light" color="teal" data-testid="root-badge">
              Root
            </Badge>
          )}
        </Group>
      ),
    },
    { key: 'created', label: 'Created', sort: 'createdTime', render: (c) => <Text size="sm" c="dimmed">{formatTime(c.createdTime)}</Text> },
  ];

  return (
    <>
      <PageHeader
        title="Rule chains"
        subtitle="How messages from devices are filtered, enriched, stored and acted on"
        actions={
          <>
            <FileButton onChange={importFile} accept="application/json,.json">
              {(props) => (
                <Button {...props} variant="default" leftSection={<IconUpload size={16} />}>
                  Import
                </Button>
              )}
            </FileButton>
            <Button variant="default" leftSection={<IconDownload size={16} />} onClick={exportAll}>
              Export all
            </Button>
          </>
        }
      />
      <DataTable
        paged={paged}
        columns={columns}
        rowKey={(c) => c.id!.id}
        onRowClick={(c) => navigate(`/rule-chains/${c.id!.id}`)}
        searchPlaceholder="Search by name"
        emptyText="No rule chains"
        minWidth={480}
        toolbar={
          <Button leftSection={<IconPlus size={16} />} onClick={() => setAdding(true)}>
            Add rule chain
          </Button>
        }
        actions={(c) => (
          <Group gap={4} wrap="nowrap">
            <Tooltip label="Export JSON">
              <ActionIcon variant="subtle" aria-label={`Export ${c.name}`} onClick={() => exportOne(c)}>
                <IconDownload size={16} />
              </ActionIcon>
            </Tooltip>
            {!c.root && (
              <Tooltip label="Make root">
                <ActionIcon variant="subtle" aria-label={`Make ${c.name} root`} onClick={() => makeRoot(c)}>
                  <IconFlag size={16} />
                </ActionIcon>
              </Tooltip>
            )}
            {!c.root && (
              <Tooltip label="Delete">
                <ActionIcon variant="subtle" color="red" aria-label={`Delete ${c.name}`} onClick={() => remove(c)}>
                  <IconTrash size={16} />
                </ActionIcon>
              </Tooltip>
            )}
          </Group>
        )}
      />
      <AddChainModal
        opened={adding}
        onClose={() => setAdding(false)}
        onAdded={(chain) => navigate(`/rule-chains/${chain.id!.id}`)}
      />
    </>
  );
}

function AddChainModal(props: { opened: boolean; onClose: () => void; onAdded: (chain: RuleChain) => void }) {
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    try {
      props.onAdded(await saveRuleChain({ name: name.trim(), type: 'CORE', debugMode: false }));
    } catch (e) {
      fail(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal opened={props.opened} onClose={props.onClose} title="Add rule chain">
      <form onSubmit={submit}>
        <Stack>
          <TextInput label="Name" required data-autofocus value={name} onChange={(e) => setName(e.currentTarget.value)} />
          <Group justify="flex-end">
            <Button variant="default" onClick={props.onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={busy} disabled={!name.trim()}>
              Add
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
