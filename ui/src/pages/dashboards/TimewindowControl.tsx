import { Button, Group, Popover, SegmentedControl, Select, Stack, Text, TextInput } from '@mantine/core';
import { IconClock } from '@tabler/icons-react';
import { useState } from 'react';
import { describeWindow, historyQuery, isRealtime, REALTIME_CHOICES, describeSpan } from '../../dashboards/timewindow';
import type { Timewindow } from '../../dashboards/types';

const AGGREGATIONS = ['AVG', 'MIN', 'MAX', 'SUM', 'COUNT', 'NONE'];

/** "2024-05-01T14:03" in the browser's zone (what datetime-local inputs take). */
function localInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

/** The dashboard's time window: real-time "last N" or a fixed history range, and the aggregation. */
export function TimewindowControl({ value, onChange }: { value: Timewindow; onChange: (next: Timewindow) => void }) {
  const [opened, setOpened] = useState(false);
  const realtime = isRealtime(value);
  const now = Date.now();
  const fixed = value.history?.fixedTimewindow ?? { startTimeMs: now - 86_400_000, endTimeMs: now };
  const query = historyQuery(value, now);
  const setFixed = (part: 'startTimeMs' | 'endTimeMs', text: string) => {
    const ms = new Date(text).getTime();
    if (!Number.isFinite(ms)) return;
    onChange({ ...value, selectedTab: 1, history: { historyType: 1, ...value.history, fixedTimewindow: { ...fixed, [part]: ms } } });
  };
  return (
    <Popover opened={opened} onChange={setOpened} position="bottom-end" shadow="md" width={320}>
      <Popover.Target>
        <Button variant="default" leftSection={<IconClock size={16} />} onClick={() => setOpened((o) => !o)} data-testid="timewindow-button">
          {describeWindow(value)}
        </Button>
      </Popover.Target>
      <Popover.Dropdown>
        <Stack gap="sm">
          <SegmentedControl
            fullWidth
            value={realtime ? 'realtime' : 'history'}
            data={[
              { value: 'realtime', label: 'Real-time' },
              { value: 'history', label: 'History' },
            ]}
            onChange={(tab) =>
              onChange(
                tab === 'realtime'
                  ? { ...value, selectedTab: 0 }
                  : { ...value, selectedTab: 1, history: { historyType: 1, ...value.history, fixedTimewindow: fixed } },
              )
            }
          />
          {realtime ? (
            <Select
              label="Show"
              data={REALTIME_CHOICES.map((c) => ({ value: String(c.ms), label: c.label }))}
              value={String(value.realtime?.timewindowMs ?? 900_000)}
              onChange={(ms) => ms && onChange({ ...value, selectedTab: 0, realtime: { realtimeType: 0, ...value.realtime, timewindowMs: Number(ms) } })}
              allowDeselect={false}
              comboboxProps={{ withinPortal: false }}
            />
          ) : (
            <>
              <TextInput type="datetime-local" label="From" value={localInput(fixed.startTimeMs)} onChange={(e) => setFixed('startTimeMs', e.currentTarget.value)} />
              <TextInput type="datetime-local" label="To" value={localInput(fixed.endTimeMs)} onChange={(e) => setFixed('endTimeMs', e.currentTarget.value)} />
            </>
          )}
          <Select
            label="Aggregation"
            data={AGGREGATIONS}
            value={value.aggregation?.type ?? 'AVG'}
            onChange={(type) => type && onChange({ ...value, aggregation: { ...value.aggregation, type } })}
            allowDeselect={false}
            comboboxProps={{ withinPortal: false }}
          />
          <Text size="xs" c="dimmed">
            {query.agg === 'NONE' ? 'Raw values' : `${query.agg} per ${describeSpan(query.interval)}`} · up to {query.limit} points per key
          </Text>
          <Group justify="flex-end">
            <Button size="xs" variant="default" onClick={() => setOpened(false)}>
              Close
            </Button>
          </Group>
        </Stack>
      </Popover.Dropdown>
    </Popover>
  );
}
