import { PageHeader } from '../../components/PageHeader';
import { AlarmTable } from './AlarmTable';

export function AlarmsPage() {
  return (
    <>
      <PageHeader title="Alarms" subtitle="Raised by device-profile rules and rule chains" />
      <AlarmTable />
    </>
  );
}
