import { ActionIcon, Badge, Button, CloseButton, FileButton, Group, Modal, Select, Stack, Text, TextInput, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconDownload, IconPlus, IconShare, IconTrash, IconUpload } from '@tabler/icons-react';
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { describeError } from '../../api/errors';
import { customers } from '../../api/entities';
import { useUser } from '../../auth/session';
import { confirmAction } from '../../components/confirm';
import { DataTable, type Column } from '../../components/DataTable';
import { downloadJson } from '../../components/download';
import { PageHeader } from '../../components/PageHeader';
import { usePaged } from '../../components/usePaged';
import {
  assignDashboard,
  customerDashboards,
  dashboard as loadDashboard,
  deleteDashboard,
  makeDashboardPublic,
  publicIdOf,
  publicLink,
  saveDashboard,
  tenantDashboards,
  unassignDashboard,
} from '../../dashboards/api';
import { emptyConfiguration, exportFile, importBody } from '../../dashboards/config';
import type { Dashboard } from '../../dashboards/types';
import { formatTime } from '../../lib/format';
import type { PageLink } from '../../lib/pageLink';

const fail = (e: unknown) => notifications.show({ color: 'red', message: describeError(e) });

const fileName = (title: string) => `${title.trim().toLowerCase().replace(/[^a-z0-9]+/g, '_') || 'dashboard'}.json`;

/** Dashboards: the tenant's (create, import/export, share, delete) or those shared with the user's customer. */
export function DashboardsPage() {
  const user = useUser();
  const navigate = useNavigate();
  const admin = user.authority === 'TENANT_ADMIN';
  const customerId = user.customerId?.id;
  const load = useCallback(
    (link: PageLink) => (admin || !customerId ? tenantDashboards(link) : customerDashboards(customerId, link)),
    [admin, customerId],
  );
  const paged = usePaged<Dashboard>(load, { sortProperty: 'title', sortOrder: 'ASC' });
  const [adding, setAdding] = useState(false);
  const [sharing, setSharing] = useState<Dashboard | null>(null);

  async function exportOne(d: Dashboard) {
    try {
      const full = await loadDashboard(d.id!.id);
      downloadJson(fileName(full.title), exportFile(full));
    } catch (e) {
      fail(e);
    }
  }

  async function importFile(file: File | null) {
    if (!file) return;
    try {
      const created = await saveDashboard(importBody(await file.text()));
      notifications.show({ color: 'green', message: `Imported ${created.title}` });
      navigate(`/dashboards/${created.id!.id}`);
    } catch (e) {
      fail(e);
    }
  }

  async function remove(d: Dashboard) {
    if (!confirmAction(`Delete dashboard "${d.title}"?`)) return;
    try {
      await deleteDashboard(d.id!.id);
      notifications.show({ color: 'green', message: `Deleted ${d.title}` });
      paged.reload();
    } catch (e) {
      fail(e);
    }
  }

  const columns: Column<Dashboard>[] = [
    { key: 'title', label: 'Title', sort: 'title', render: (d) => <Text size="sm" fw={600}>{d.title}</Text> },
    {
      key: 'customers',
      label: 'Shared with',
      render: (d) => (
        <Group gap={4}>
          {(d.assignedCustomers ?? []).map((c) => (
            <Badge key={c.customerId.id} variant="light" size="sm" color={c.public ? 'green' : undefined}>
              {c.title}
            </Badge>
          ))}
        </Group>
      ),
    },
    { key: 'created', label: 'Created', sort: 'createdTime', render: (d) => <Text size="sm" c="dimmed">{formatTime(d.createdTime)}</Text> },
  ];

  return (
    <>
      <PageHeader
        title="Dashboards"
        subtitle="Live views of devices: charts, values, maps, alarms and controls"
        actions={
          admin && (
            <FileButton onChange={importFile} accept="application/json,.json">
              {(props) => (
                <Button {...props} variant="default" leftSection={<IconUpload size={16} />} data-testid="import-dashboard">
                  Import
                </Button>
              )}
            </FileButton>
          )
        }
      />
      <DataTable
        paged={paged}
        columns={columns}
        rowKey={(d) => d.id!.id}
        onRowClick={(d) => navigate(`/dashboards/${d.id!.id}`)}
        searchPlaceholder="Search by title"
        emptyText="No dashboards"
        minWidth={520}
        toolbar={
          admin && (
            <Button leftSection={<IconPlus size={16} />} onClick={() => setAdding(true)} data-testid="add-dashboard">
              Add dashboard
            </Button>
          )
        }
        actions={(d) => (
          <Group gap={4} wrap="nowrap">
            <Tooltip label="Export JSON">
              <ActionIcon variant="subtle" aria-label={`Export ${d.title}`} onClick={() => exportOne(d)}>
                <IconDownload size={16} />
              </ActionIcon>
            </Tooltip>
            {admin && (
              <Tooltip label="Share with customers">
                <ActionIcon variant="subtle" aria-label={`Share ${d.title}`} onClick={() => setSharing(d)}>
                  <IconShare size={16} />
                </ActionIcon>
              </Tooltip>
            )}
            {admin && (
              <Tooltip label="Delete">
                <ActionIcon variant="subtle" color="red" aria-label={`Delete ${d.title}`} onClick={() => remove(d)}>
                  <IconTrash size={16} />
                </ActionIcon>
              </Tooltip>
            )}
          </Group>
        )}
      />
      <AddDashboardModal opened={adding} onClose={() => setAdding(false)} onAdded={(d) => navigate(`/dashboards/${d.id!.id}`)} />
      <ShareModal dashboard={sharing} onClose={() => setSharing(null)} onChanged={paged.reload} />
    </>
  );
}

function AddDashboardModal(props: { opened: boolean; onClose: () => void; onAdded: (d: Dashboard) => void }) {
  const [title, setTitle] = useState('');
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    try {
      props.onAdded(await saveDashboard({ title: title.trim(), configuration: emptyConfiguration() }));
    } catch (e) {
      fail(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal opened={props.opened} onClose={props.onClose} title="Add dashboard">
      <form onSubmit={submit}>
        <Stack>
          <TextInput label="Title" required data-autofocus value={title} onChange={(e) => setTitle(e.currentTarget.value)} data-testid="dashboard-title-input" />
          <Group justify="flex-end">
            <Button variant="default" onClick={props.onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={busy} disabled={!title.trim()}>
              Add
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function ShareModal(props: { dashboard: Dashboard | null; onClose: () => void; onChanged: () => void }) {
  const [current, setCurrent] = useState<Dashboard | null>(props.dashboard);
  const [options, setOptions] = useState<{ value: string; label: string }[]>([]);
  const [chosen, setChosen] = useState<string | null>(null);
  useEffect(() => setCurrent(props.dashboard), [props.dashboard]);
  useEffect(() => {
    if (!props.dashboard) return;
    void customers({ page: 0, pageSize: 100, textSearch: '', sortProperty: 'title', sortOrder: 'ASC' })
      .then((page) => setOptions(page.data.map((c) => ({ value: c.id.id, label: String(c.title ?? c.name ?? c.id.id) }))))
      .catch(fail);
  }, [props.dashboard]);

  async function run(action: () => Promise<Dashboard>) {
    try {
      setCurrent(await action());
      setChosen(null);
      props.onChanged();
    } catch (e) {
      fail(e);
    }
  }

  const assigned = current?.assignedCustomers ?? [];
  return (
    <Modal opened={Boolean(props.dashboard)} onClose={props.onClose} title={`Share "${current?.title ?? ''}"`}>
      {current && (
        <Stack>
          {assigned.length === 0 && <Text c="dimmed" size="sm">Not shared with any customer.</Text>}
          {assigned.map((c) => (
            <Group key={c.customerId.id} justify="space-between">
              <Text size="sm">{c.title}</Text>
              <CloseButton aria-label={`Stop sharing with ${c.title}`} onClick={() => run(() => unassignDashboard(c.customerId.id, current.id!.id))} />
            </Group>
          ))}
          {publicIdOf(current) ? (
            <TextInput label="Public link (read-only, no sign-in)" readOnly value={publicLink(window.location.origin, current.id!.id, publicIdOf(current)!)} data-testid="list-public-link" />
          ) : (
            <Button variant="light" onClick={() => run(() => makeDashboardPublic(current.id!.id))} data-testid="list-make-public">
              Make public
            </Button>
          )}
          <Group align="flex-end" grow>
            <Select
              label="Customer"
              data={options.filter((o) => !assigned.some((c) => c.customerId.id === o.value))}
              value={chosen}
              onChange={setChosen}
              searchable
            />
            <Button disabled={!chosen} onClick={() => chosen && run(() => assignDashboard(chosen, current.id!.id))}>
              Share
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
