import { MultiSelect, Select } from '@mantine/core';
import { useEffect, useState } from 'react';
import { apiLookup } from '../../dashboards/api';
import type { ResolvedEntity } from '../../dashboards/datasource';

type Option = { value: string; label: string };

/** Entities of one type whose names start with `search` (plus the chosen ones, named). */
function useEntityOptions(entityType: string, search: string, chosen: string[]): Option[] {
  const [found, setFound] = useState<ResolvedEntity[]>([]);
  const [known, setKnown] = useState<Record<string, string>>({});
  useEffect(() => {
    let current = true;
    const lookup = apiLookup();
    const timer = setTimeout(() => {
      void lookup
        .find({ type: 'entityName', entityType, entityNameFilter: search })
        .then((list) => {
          if (!current) return;
          setFound(list.slice(0, 50));
          setKnown((k) => ({ ...k, ...Object.fromEntries(list.map((e) => [e.id, e.name ?? e.id])) }));
        })
        .catch(() => current && setFound([]));
    }, 150);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [entityType, search]);
  const missing = chosen.filter((id) => !found.some((e) => e.id === id));
  useEffect(() => {
    if (!missing.length) return;
    let current = true;
    void apiLookup()
      .find({ type: 'entityList', entityType, entityList: missing })
      .then((list) => current && setKnown((k) => ({ ...k, ...Object.fromEntries(list.map((e) => [e.id, e.name ?? e.id])) })))
      .catch(() => {});
    return () => {
      current = false;
    };
  }, [entityType, missing.join(',')]);
  return [...missing.map((id) => ({ value: id, label: known[id] ?? id })), ...found.map((e) => ({ value: e.id, label: e.name ?? e.id }))];
}

/** Pick one entity of a type by name. */
export function EntitySelect({ label, entityType, value, onChange, testId }: {
  label: string;
  entityType: string;
  value: string | null;
  onChange: (id: string | null) => void;
  testId?: string;
}) {
  const [search, setSearch] = useState('');
  const options = useEntityOptions(entityType, search, value ? [value] : []);
  return (
    <Select
      label={label}
      searchable
      data={options}
      value={value}
      onChange={onChange}
      onSearchChange={setSearch}
      filter={({ options: all }) => all}
      nothingFoundMessage="Nothing found"
      placeholder="Search by name"
      data-testid={testId}
    />
  );
}

/** Pick several entities of a type by name. */
export function EntityMultiSelect({ label, entityType, value, onChange }: {
  label: string;
  entityType: string;
  value: string[];
  onChange: (ids: string[]) => void;
}) {
  const [search, setSearch] = useState('');
  const options = useEntityOptions(entityType, search, value);
  return (
    <MultiSelect
      label={label}
      searchable
      data={options}
      value={value}
      onChange={onChange}
      searchValue={search}
      onSearchChange={setSearch}
      filter={({ options: all }) => all}
      nothingFoundMessage="Nothing found"
      placeholder="Search by name"
    />
  );
}
