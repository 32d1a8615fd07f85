import { Badge, Text } from '@mantine/core';
import { useCallback } from 'react';
import { Navigate, useParams } from 'react-router';
import { pageOf } from '../api/entities';
import type { Named, User } from '../api/types';
import { useUser } from '../auth/session';
import { DataTable, type Column } from '../components/DataTable';
import { PageHeader } from '../components/PageHeader';
import { usePaged } from '../components/usePaged';
import { formatTime } from '../lib/format';
import type { PageLink } from '../lib/pageLink';
import { canOpen, navigationFor, type Section } from '../lib/navigation';

interface ListConfig {
  path: (user: User) => string;
  subtitle: string;
  nameField: 'name' | 'title' | 'email';
  extra?: Column<Named>;
}

const text = (field: string) => (row: Named) => <Text size="sm">{String(row[field] ?? '')}</Text>;

/** Read-only lists of the entities that have no page of their own (tenants and tenant profiles). */
const LISTS: Partial<Record<Section, ListConfig>> = {
  tenants: { path: () => '/api/tenantInfos', subtitle: 'Organisations on this platform', nameField: 'title', extra: { key: 'profile', label: 'Tenant profile', render: text('tenantProfileName') } },
  tenantProfiles: { path: () => '/api/tenantProfiles', subtitle: 'Limits and defaults for tenants', nameField: 'name', extra: { key: 'default', label: 'Default', render: (r) => (r.default ? <Badge variant="light">default</Badge> : null) } },
};

const SECTION_BY_PATH: Record<string, Section> = Object.fromEntries(
  (['SYS_ADMIN', 'TENANT_ADMIN'] as const).flatMap((a) =>
    navigationFor(a).map((item) => [item.path.slice(1), item.section]),
  ),
);

export function EntityListPage() {
  const { section: slug = '' } = useParams();
  const user = useUser();
  const section = SECTION_BY_PATH[slug];
  const config = section ? LISTS[section] : undefined;
  if (!section || !config || !canOpen(user.authority, section)) return <Navigate to="/" replace />;
  return <EntityList key={section} section={section} config={config} user={user} />;
}

function EntityList({ section, config, user }: { section: Section; config: ListConfig; user: User }) {
  const label = navigationFor(user.authority).find((i) => i.section === section)?.label ?? section;
  const path = config.path(user);
  const load = useCallback((link: PageLink) => pageOf(path, link), [path]);
  const sortName = config.nameField === 'email' ? 'email' : config.nameField;
  const paged = usePaged<Named>(load);
  const columns: Column<Named>[] = [
    { key: 'created', label: 'Created', sort: 'createdTime', render: (r) => <Text size="sm">{formatTime(r.createdTime)}</Text>, width: 190 },
    { key: 'name', label: config.nameField === 'email' ? 'E-mail' : 'Name', sort: sortName, render: (r) => <Text size="sm" fw={500}>{String(r[config.nameField] ?? '')}</Text> },
    ...(config.extra ? [config.extra] : []),
  ];
  return (
    <>
      <PageHeader title={label} subtitle={config.subtitle} />
      <DataTable paged={paged} columns={columns} rowKey={(r) => r.id.id} />
    </>
  );
}
