import { Checkbox, Paper, Select, Stack, Text, TextInput, Textarea } from '@mantine/core';
import { useState } from 'react';
import { DELIVERY_METHODS, HAS_SUBJECT, NOTIFICATION_TYPES, saveCatalogObject, type DeliveryMethod } from '../../api/notifications';
import type { FormProps } from './CatalogTab';
import { FormModal } from '../../components/FormModal';
import { templateToForm, templateToWire, type MethodForm, type TemplateForm } from './wire';

/** What a notification says, per delivery method, with ${…} placeholders. */
export function TemplateFormModal({ value, onClose, onSaved }: FormProps) {
  const [form, setForm] = useState<TemplateForm>(() => templateToForm(value));
  const setMethod = (method: DeliveryMethod, patch: Partial<MethodForm>) =>
    setForm((f) => ({ ...f, methods: { ...f.methods, [method]: { ...f.methods[method], ...patch } } }));
  const enabled = DELIVERY_METHODS.filter((m) => form.methods[m].enabled);
  const valid = form.name.trim() !== '' && enabled.length > 0 && enabled.every((m) => form.methods[m].body.trim() !== '');

  return (
    <FormModal
      opened
      size="lg"
      submitLabel="Save"
      title={value ? 'Edit template' : 'Add template'}
      canSubmit={valid}
      onClose={onClose}
      submit={async () => onSaved(await saveCatalogObject('template', templateToWire(form, value)))}
    >
      <TextInput label="Name" required value={form.name} onChange={(e) => setForm({ ...form, name: e.currentTarget.value })} data-autofocus />
      <Select
        label="Notification type"
        allowDeselect={false}
        data={[...NOTIFICATION_TYPES]}
        value={form.notificationType}
        onChange={(v) => v && setForm({ ...form, notificationType: v })}
      />
      <Text size="xs" c="dimmed">
        Placeholders such as {'${alarmType}'}, {'${alarmSeverity}'}, {'${alarmOriginatorName}'} or {'${recipientEmail}'} are filled in when it is sent.
      </Text>
      {DELIVERY_METHODS.map((method) => {
        const m = form.methods[method];
        return (
          <Paper key={method} withBorder p="xs" radius="sm">
            <Stack gap={6}>
              <Checkbox label={method} checked={m.enabled} onChange={(e) => setMethod(method, { enabled: e.currentTarget.checked })} />
              {m.enabled && (
                <>
                  {HAS_SUBJECT.has(method) && (
                    <TextInput size="xs" label={`${method} subject`} value={m.subject} onChange={(e) => setMethod(method, { subject: e.currentTarget.value })} />
                  )}
                  <Textarea size="xs" label={`${method} message`} autosize minRows={2} value={m.body} onChange={(e) => setMethod(method, { body: e.currentTarget.value })} />
                </>
              )}
            </Stack>
          </Paper>
        );
      })}
    </FormModal>
  );
}
