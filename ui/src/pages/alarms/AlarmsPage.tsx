import { PageHeader } from '../../components/PageHeader';
import { AlarmTable } from './AlarmTable';
import { SectionGuard } from '../../layout/SectionGuard';

export function AlarmsPage() {
  return (
    <SectionGuard section="alarms">
      <AlarmsPageContent />
    </SectionGuard>
  );
}

function AlarmsPageContent() {
  return (
    <>
      <PageHeader title="Alarms" subtitle="Raised by device-profile rules and rule chains" />
      <AlarmTable />
    </>
  );
}
