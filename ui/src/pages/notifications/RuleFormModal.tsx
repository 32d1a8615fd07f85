import { Checkbox, Group, MultiSelect, Select, Switch, TagsInput, TextInput } from '@mantine/core';
import { useEffect, useState } from 'react';
import { SEVERITIES } from '../../api/alarms';
import { catalogAll, saveCatalogObject, TRIGGER_TYPES, type TriggerType } from '../../api/notifications';
import type { FormProps } from './CatalogTab';
import { FormModal } from '../../components/FormModal';
import { ruleToForm, ruleToWire, type RuleForm } from './wire';

const ENTITY_TYPES = ['DEVICE', 'ASSET', 'CUSTOMER', 'USER', 'DASHBOARD', 'RULE_CHAIN', 'DEVICE_PROFILE'];

/** When to notify (trigger and its filters), with which template, and whom. */
export function RuleFormModal({ value, onClose, onSaved }: FormProps) {
  const [form, setForm] = useState<RuleForm>(() => ruleToForm(value));
  const [templates, setTemplates] = useState<{ value: string; label: string }[]>([]);
  const [targets, setTargets] = useState<{ value: string; label: string }[]>([]);
  const set = (patch: Partial<RuleForm>) => setForm((f) => ({ ...f, ...patch }));

  useEffect(() => {
    catalogAll('template').then((ts) => setTemplates(ts.map((t) => ({ value: t.id!.id, label: `${t.name} (${String(t.notificationType)})` })))).catch(() => undefined);
    catalogAll('target').then((ts) => setTargets(ts.map((t) => ({ value: t.id!.id, label: t.name })))).catch(() => undefined);
  }, []);

  const valid = form.name.trim() !== '' && form.templateId !== '' && form.targets.length > 0;
  return (
    <FormModal
      opened
      size="lg"
      submitLabel="Save"
      title={value ? 'Edit rule' : 'Add rule'}
      canSubmit={valid}
      onClose={onClose}
      submit={async () => onSaved(await saveCatalogObject('rule', ruleToWire(form, value)))}
    >
      <Group align="flex-end">
        <TextInput label="Name" required style={{ flex: 1 }} value={form.name} onChange={(e) => set({ name: e.currentTarget.value })} data-autofocus />
        <Switch label="Enabled" mb={8} checked={form.enabled} onChange={(e) => set({ enabled: e.currentTarget.checked })} />
      </Group>
      <Select label="Trigger" allowDeselect={false} data={[...TRIGGER_TYPES]} value={form.triggerType} onChange={(v) => v && set({ triggerType: v as TriggerType })} />
      {form.triggerType === 'ALARM' && (
        <>
          <TagsInput label="Alarm types" description="Empty: every type" value={form.alarmTypes} onChange={(alarmTypes) => set({ alarmTypes })} />
          <MultiSelect label="Severities" placeholder={form.alarmSeverities.length ? undefined : 'Any'} data={[...SEVERITIES]} value={form.alarmSeverities} onChange={(alarmSeverities) => set({ alarmSeverities })} />
          <MultiSelect label="Notify on" data={['CREATED', 'SEVERITY_CHANGED', 'ACKNOWLEDGED', 'CLEARED']} value={form.alarmNotifyOn} onChange={(alarmNotifyOn) => set({ alarmNotifyOn })} />
        </>
      )}
      {form.triggerType === 'DEVICE_ACTIVITY' && (
        <MultiSelect label="Notify on" data={['ACTIVE', 'INACTIVE']} value={form.activityNotifyOn} onChange={(activityNotifyOn) => set({ activityNotifyOn })} />
      )}
      {form.triggerType === 'ENTITY_ACTION' && (
        <>
          <MultiSelect label="Entity types" placeholder={form.entityTypes.length ? undefined : 'Any'} data={ENTITY_TYPES} value={form.entityTypes} onChange={(entityTypes) => set({ entityTypes })} />
          <Group>
            <Checkbox label="Created" checked={form.created} onChange={(e) => set({ created: e.currentTarget.checked })} />
            <Checkbox label="Updated" checked={form.updated} onChange={(e) => set({ updated: e.currentTarget.checked })} />
            <Checkbox label="Deleted" checked={form.deleted} onChange={(e) => set({ deleted: e.currentTarget.checked })} />
          </Group>
        </>
      )}
      <Select label="Template" required searchable data={templates} value={form.templateId || null} onChange={(v) => set({ templateId: v ?? '' })} />
      <MultiSelect label="Recipients" required searchable data={targets} value={form.targets} onChange={(t) => set({ targets: t })} />
    </FormModal>
  );
}
