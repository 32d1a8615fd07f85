import { Badge, Text } from '@mantine/core';
import { useCallback } from 'react';
import { auditLogsOf } from '../../api/entities';
import type { AuditLog, EntityId } from '../../api/types';
import { DataTable, type Column } from '../../components/DataTable';
import { usePaged } from '../../components/usePaged';
import { formatTime } from '../../lib/format';
import type { PageLink } from '../../lib/pageLink';

const columns: Column<AuditLog>[] = [
  { key: 'time', label: 'Time', sort: 'createdTime', render: (a) => <Text size="sm">{formatTime(a.createdTime)}</Text>, width: 190 },
  { key: 'action', label: 'Action', render: (a) => <Badge variant="light">{a.actionType}</Badge> },
  { key: 'user', label: 'User', render: (a) => <Text size="sm">{a.userName}</Text> },
  {
    key: 'status',
    label: 'Status',
    render: (a) => (
      <Badge variant="dot" color={a.actionStatus === 'SUCCESS' ? 'green' : 'red'} title={a.actionFailureDetails ?? undefined}>
        {a.actionStatus}
      </Badge>
    ),
  },
];

export function AuditTab({ entity }: { entity: EntityId }) {
  const load = useCallback((link: PageLink) => auditLogsOf(entity, link), [entity.entityType, entity.id]);
  const paged = usePaged<AuditLog>(load);
  return <DataTable paged={paged} columns={columns} rowKey={(a) => a.id.id} emptyText="No audit records" />;
}
