import type { Authority, EntityId } from '../../api/types';
import { AlarmTable } from '../../pages/alarms/AlarmTable';
import type { DetailTab } from '../EntityDetailPage';
import { AttributesTab } from './AttributesTab';
import { AuditTab } from './AuditTab';
import { EventsTab } from './EventsTab';
import { RelationsTab } from './RelationsTab';
import { TelemetryTab } from './TelemetryTab';

/** The tabs every entity page shares; the audit log is the tenant administrator's. */
export function commonTabs(entity: EntityId, authority: Authority, options: { showOriginator?: boolean } = {}): DetailTab[] {
  const tabs: DetailTab[] = [
    { value: 'attributes', label: 'Attributes', render: () => <AttributesTab entity={entity} /> },
    { value: 'telemetry', label: 'Latest telemetry', render: () => <TelemetryTab entity={entity} /> },
    { value: 'alarms', label: 'Alarms', render: () => <AlarmTable entity={entity} showOriginator={options.showOriginator} /> },
    { value: 'relations', label: 'Relations', render: () => <RelationsTab entity={entity} /> },
    { value: 'events', label: 'Events', render: () => <EventsTab entity={entity} /> },
  ];
  if (authority === 'TENANT_ADMIN') tabs.push({ value: 'audit', label: 'Audit log', render: () => <AuditTab entity={entity} /> });
  return tabs;
}
