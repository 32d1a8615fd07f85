import { Badge } from '@mantine/core';
import { SEVERITY_COLOR, type AlarmSeverity } from '../../api/alarms';

export function SeverityBadge({ severity }: { severity: AlarmSeverity }) {
  return (
    <Badge color={SEVERITY_COLOR[severity]} variant="filled" size="sm">
      {severity}
    </Badge>
  );
}
