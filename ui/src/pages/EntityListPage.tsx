/**
 * The one list page shell: a header, a server-paged table (search, sort, paging, optional
 * row selection), an "add" button, and per-row edit / extra / delete icons whose deletes
 * confirm, notify and reload the same way everywhere. Pages give their columns, their form
 * dialog (as children) and what their actions do.
 */

import { ActionIcon, Button, Group, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPencil, IconPlus, IconStar, IconTrash } from '@tabler/icons-react';
import { useCallback, type ReactNode } from 'react';
import { Navigate } from 'react-router';
import { describeError } from '../api/errors';
import { confirmAction } from '../components/confirm';
import { DataTable, type Column, type Selection } from '../components/DataTable';
import { PageHeader } from '../components/PageHeader';
import type { Paged } from '../components/usePaged';

/** The catch-all of the shell: an unknown section goes home. */
export function UnknownSectionPage() {
  return <Navigate to="/" replace />;
}

export interface RowAction<T> {
  tooltip: string;
  /** The button's accessible name for a row, e.g. `Assign Pump 1`. */
  label: (row: T) => string;
  icon: ReactNode;
  color?: string;
  disabled?: (row: T) => boolean;
  /** Rows this action does not apply to show no button. */
  hidden?: (row: T) => boolean;
  onClick: (row: T) => void;
}

/** "Make default" of a profile list: off for the default profile itself. */
export function makeDefaultAction<T extends { name: string; default?: boolean }>(
  run: (action: () => Promise<unknown>, done: string) => Promise<void>,
  makeDefault: (row: T) => Promise<unknown>,
): RowAction<T> {
  return {
    tooltip: 'Make default',
    label: (p) => `Make ${p.name} default`,
    icon: <IconStar size={16} />,
    disabled: (p) => Boolean(p.default),
    onClick: (p) => void run(() => makeDefault(p), `${p.name} is the default profile`),
  };
}

/** Runs an action on behalf of a list: a green note when it worked, red with the reason if not. */
export function useListAction(reload: () => void): (action: () => Promise<unknown>, done: string) => Promise<void> {
  return useCallback(
    async (action: () => Promise<unknown>, done: string) => {
      try {
        await action();
        notifications.show({ color: 'green', message: done });
        reload();
      } catch (e) {
        notifications.show({ color: 'red', message: describeError(e) });
      }
    },
    [reload],
  );
}

interface Props<T> {
  title: string;
  subtitle?: ReactNode;
  paged: Paged<T>;
  columns: Column<T>[];
  rowKey: (row: T) => string;
  /** The row's name in labels and messages. */
  name: (row: T) => string;
  onRowClick?: (row: T) => void;
  searchPlaceholder?: string;
  emptyText?: string;
  minWidth?: number;
  selection?: Selection<T>;
  /** Extra toolbar content before the add button. */
  toolbar?: ReactNode;
  add?: { label: string; onClick: () => void };
  edit?: (row: T) => void;
  rowActions?: RowAction<T>[];
  remove?: { confirm: (row: T) => string; run: (row: T) => Promise<unknown>; disabled?: (row: T) => boolean };
  /** Dialogs of the page. */
  children?: ReactNode;
}

export function EntityListPage<T>(props: Props<T>) {
  const { paged, name, edit, remove } = props;
  const run = useListAction(paged.reload);
  const actions: RowAction<T>[] = [
    ...(edit ? [{ tooltip: 'Edit', label: (r: T) => `Edit ${name(r)}`, icon: <IconPencil size={16} />, onClick: edit }] : []),
    ...(props.rowActions ?? []),
    ...(remove
      ? [
          {
            tooltip: 'Delete',
            label: (r: T) => `Delete ${name(r)}`,
            icon: <IconTrash size={16} />,
            color: 'red',
            disabled: remove.disabled,
            onClick: (r: T) => {
              if (confirmAction(remove.confirm(r))) void run(() => remove.run(r), `Deleted ${name(r)}`);
            },
          },
        ]
      : []),
  ];
  const toolbar =
    props.toolbar || props.add ? (
      <Group gap="xs">
        {props.toolbar}
        {props.add && (
          <Button leftSection={<IconPlus size={16} />} onClick={props.add.onClick}>
            {props.add.label}
          </Button>
        )}
      </Group>
    ) : undefined;

  return (
    <>
      <PageHeader title={props.title} subtitle={props.subtitle} />
      <DataTable
        paged={paged}
        columns={props.columns}
        rowKey={props.rowKey}
        onRowClick={props.onRowClick}
        searchPlaceholder={props.searchPlaceholder}
        emptyText={props.emptyText}
        minWidth={props.minWidth}
        selection={props.selection}
        toolbar={toolbar}
        actions={
          actions.length
            ? (row) => (
                <Group gap={4} wrap="nowrap">
                  {actions
                    .filter((a) => !a.hidden?.(row))
                    .map((a) => (
                    <Tooltip key={a.tooltip} label={a.tooltip}>
                      <ActionIcon variant="subtle" color={a.color} aria-label={a.label(row)} disabled={a.disabled?.(row)} onClick={() => a.onClick(row)}>
                        {a.icon}
                      </ActionIcon>
                    </Tooltip>
                  ))}
                </Group>
              )
            : undefined
        }
      />
      {props.children}
    </>
  );
}
