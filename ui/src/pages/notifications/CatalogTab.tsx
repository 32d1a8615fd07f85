import { ActionIcon, Button, Group, Text, Tooltip } from '@mantine/core';
import { notifications as toasts } from '@mantine/notifications';
import { IconPencil, IconPlus, IconTrash } from '@tabler/icons-react';
import { useCallback, useState, type ReactNode } from 'react';
import { describeError } from '../../api/errors';
import { catalogPage, deleteCatalogObject, type CatalogKind, type CatalogObject } from '../../api/notifications';
import { confirmAction } from '../../components/confirm';
import { DataTable, type Column } from '../../components/DataTable';
import { usePaged } from '../../components/usePaged';
import { formatTime } from '../../lib/format';
import type { PageLink } from '../../lib/pageLink';

export interface FormProps {
  /** The object to edit; a new one when null. */
  value: CatalogObject | null;
  onClose: () => void;
  onSaved: (saved: CatalogObject) => void;
}

interface Props {
  kind: CatalogKind;
  label: string;
  columns: Column<CatalogObject>[];
  form: (props: FormProps) => ReactNode;
}

/** A page of targets, templates or rules with add, edit and delete. */
export function CatalogTab({ kind, label, columns, form }: Props) {
  const load = useCallback((link: PageLink) => catalogPage(kind, link), [kind]);
  const paged = usePaged<CatalogObject>(load, { sortProperty: 'name', sortOrder: 'ASC' });
  const [editing, setEditing] = useState<CatalogObject | null | undefined>(undefined);

  async function remove(row: CatalogObject) {
    if (!confirmAction(`Delete ${label.toLowerCase()} "${row.name}"?`)) return;
    try {
      await deleteCatalogObject(kind, row.id!.id);
      paged.reload();
    } catch (e) {
      toasts.show({ color: 'red', message: describeError(e) });
    }
  }

  const all: Column<CatalogObject>[] = [
    { key: 'name', label: 'Name', sort: 'name', render: (r) => <Text size="sm" fw={600}>{r.name}</Text> },
    ...columns,
    { key: 'created', label: 'Created', sort: 'createdTime', render: (r) => <Text size="sm" c="dimmed">{formatTime(r.createdTime)}</Text> },
  ];

  return (
    <>
      <DataTable
        paged={paged}
        columns={all}
        rowKey={(r) => r.id!.id}
        onRowClick={(r) => setEditing(r)}
        minWidth={640}
        emptyText={`No ${label.toLowerCase()}s`}
        toolbar={
          <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing(null)}>
            Add {label.toLowerCase()}
          </Button>
        }
        actions={(r) => (
          <Group gap={4} wrap="nowrap">
            <Tooltip label="Edit">
              <ActionIcon variant="subtle" aria-label={`Edit ${r.name}`} onClick={() => setEditing(r)}>
                <IconPencil size={16} />
              </ActionIcon>
            </Tooltip>
            <Tooltip label="Delete">
              <ActionIcon variant="subtle" color="red" aria-label={`Delete ${r.name}`} onClick={() => remove(r)}>
                <IconTrash size={16} />
              </ActionIcon>
            </Tooltip>
          </Group>
        )}
      />
      {editing !== undefined &&
        form({
          value: editing,
          onClose: () => setEditing(undefined),
          onSaved: (saved) => {
            setEditing(undefined);
            toasts.show({ color: 'green', message: `Saved ${saved.name}` });
            paged.reload();
          },
        })}
    </>
  );
}
