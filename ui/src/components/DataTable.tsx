import {
  Alert,
  Center,
  Checkbox,
  Group,
  LoadingOverlay,
  Pagination,
  Paper,
  Select,
  Table,
  Text,
  TextInput,
  UnstyledButton,
} from '@mantine/core';
import { useDebouncedCallback } from '@mantine/hooks';
import { IconArrowDown, IconArrowUp, IconSearch, IconSelector } from '@tabler/icons-react';
import { useState, type ReactNode } from 'react';
import { rangeLabel, toggleSort, withSearch } from '../lib/pageLink';
import type { Paged } from './usePaged';

export interface Column<T> {
  key: string;
  label: string;
  /** The API's sortProperty for this column; unsortable when absent. */
  sort?: string;
  render: (row: T) => ReactNode;
  width?: number | string;
}

interface Props<T> {
  paged: Paged<T>;
  columns: Column<T>[];
  rowKey: (row: T) => string;
  onRowClick?: (row: T) => void;
  actions?: (row: T) => ReactNode;
  toolbar?: ReactNode;
  searchPlaceholder?: string;
  emptyText?: string;
  minWidth?: number;
  /** Row checkboxes (and one for the whole page) over these selected row keys. */
  selection?: Selection<T>;
}

export interface Selection<T> {
  selected: ReadonlyMap<string, T>;
  onChange: (next: Map<string, T>) => void;
  /** How a row's checkbox is announced: "Select <label>". */
  label: (row: T) => string;
}

/** A server-paged table: search, sortable headers, paging; scrolls sideways on a phone. */
export function DataTable<T>(props: Props<T>) {
  const { paged, columns } = props;
  const { link, setLink, page } = paged;
  const [search, setSearch] = useState(link.textSearch);
  const applySearch = useDebouncedCallback((text: string) => setLink(withSearch(link, text)), 300);
  const rows = page?.data ?? [];
  const selection = props.selection;
  const onPage = selection ? rows.filter((r) => selection.selected.has(props.rowKey(r))).length : 0;

  const toggleRow = (row: T, on: boolean) => {
    if (!selection) return;
    const next = new Map(selection.selected);
    if (on) next.set(props.rowKey(row), row);
    else next.delete(props.rowKey(row));
    selection.onChange(next);
  };
  const togglePage = (on: boolean) => {
    if (!selection) return;
    const next = new Map(selection.selected);
    for (const row of rows) {
      if (on) next.set(props.rowKey(row), row);
      else next.delete(props.rowKey(row));
    }
    selection.onChange(next);
  };

  const header = (column: Column<T>) => {
    if (!column.sort) return column.label;
    const active = link.sortProperty === column.sort;
    const SortIcon = !active ? IconSelector : link.sortOrder === 'ASC' ? IconArrowUp : IconArrowDown;
    return (
      <UnstyledButton
        onClick={() => setLink(toggleSort(link, column.sort!))}
        aria-label={`Sort by ${column.label}`}
      >
        <Group gap={4} wrap="nowrap">
          <Text fw={600} size="sm">
            {column.label}
          </Text>
          <SortIcon size={14} />
        </Group>
      </UnstyledButton>
    );
  };

  return (
    <Paper withBorder radius="md" p={0} pos="relative">
      <Group p="sm" justify="space-between" gap="sm">
        <TextInput
          placeholder={props.searchPlaceholder ?? 'Search'}
          leftSection={<IconSearch size={16} />}
          value={search}
          onChange={(e) => {
            setSearch(e.currentTarget.value);
            applySearch(e.currentTarget.value);
          }}
          style={{ flex: '1 1 220px', maxWidth: 360 }}
          aria-label="Search"
        />
        <Group gap="xs">{props.toolbar}</Group>
      </Group>
      {paged.error && (
        <Alert color="red" variant="light" mx="sm" mb="sm">
          {paged.error}
        </Alert>
      )}
      <div style={{ position: 'relative' }}>
        <LoadingOverlay visible={paged.loading && page !== null} overlayProps={{ blur: 1 }} />
        <Table.ScrollContainer minWidth={props.minWidth ?? 640}>
          <Table highlightOnHover verticalSpacing="sm" horizontalSpacing="md">
            <Table.Thead>
              <Table.Tr>
                {selection && (
                  <Table.Th style={{ width: 1 }}>
                    <Checkbox
                      aria-label="Select all on this page"
                      checked={rows.length > 0 && onPage === rows.length}
                      indeterminate={onPage > 0 && onPage < rows.length}
                      disabled={rows.length === 0}
                      onChange={(e) => togglePage(e.currentTarget.checked)}
                    />
                  </Table.Th>
                )}
                {columns.map((c) => (
                  <Table.Th key={c.key} style={{ width: c.width, whiteSpace: 'nowrap' }}>
                    {header(c)}
                  </Table.Th>
                ))}
                {props.actions && <Table.Th style={{ width: 1 }} />}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((row) => (
                <Table.Tr
                  key={props.rowKey(row)}
                  className={props.onRowClick ? 'clickable-row' : undefined}
                  onClick={props.onRowClick ? () => props.onRowClick!(row) : undefined}
                >
                  {selection && (
                    <Table.Td onClick={(e) => e.stopPropagation()}>
                      <Checkbox
                        aria-label={`Select ${selection.label(row)}`}
                        checked={selection.selected.has(props.rowKey(row))}
                        onChange={(e) => toggleRow(row, e.currentTarget.checked)}
                      />
                    </Table.Td>
                  )}
                  {columns.map((c) => (
                    <Table.Td key={c.key}>{c.render(row)}</Table.Td>
                  ))}
                  {props.actions && (
                    <Table.Td onClick={(e) => e.stopPropagation()} style={{ whiteSpace: 'nowrap' }}>
                      {props.actions(row)}
                    </Table.Td>
                  )}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
        {!paged.loading && rows.length === 0 && !paged.error && (
          <Center p="xl">
            <Text c="dimmed">{props.emptyText ?? 'Nothing here yet'}</Text>
          </Center>
        )}
      </div>
      <Group justify="space-between" p="sm" gap="sm">
        <Group gap="xs">
          <Text size="sm" c="dimmed">
            {rangeLabel(link, page?.totalElements ?? 0)}
          </Text>
          <Select
            size="xs"
            w={80}
            aria-label="Rows per page"
            data={['10', '20', '50', '100']}
            value={String(link.pageSize)}
            allowDeselect={false}
            onChange={(v) => v && setLink({ ...link, pageSize: Number(v), page: 0 })}
          />
        </Group>
        <Pagination
          size="sm"
          total={Math.max(1, page?.totalPages ?? 1)}
          value={link.page + 1}
          onChange={(p) => setLink({ ...link, page: p - 1 })}
        />
      </Group>
    </Paper>
  );
}
