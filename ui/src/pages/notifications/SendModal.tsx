import { MultiSelect, SegmentedControl, Select, TextInput, Textarea } from '@mantine/core';
import { notifications as toasts } from '@mantine/notifications';
import { useEffect, useState } from 'react';
import { catalogAll, sendNotification } from '../../api/notifications';
import { FormModal } from '../../components/FormModal';

/** A one-off notification to chosen targets: a stored template or a message typed here. */
export function SendModal({ onClose }: { onClose: () => void }) {
  const [targets, setTargets] = useState<string[]>([]);
  const [targetOptions, setTargetOptions] = useState<{ value: string; label: string }[]>([]);
  const [templates, setTemplates] = useState<{ value: string; label: string }[]>([]);
  const [mode, setMode] = useState<'message' | 'template'>('message');
  const [templateId, setTemplateId] = useState<string | null>(null);
  const [subject, setSubject] = useState('');
  const [body, setBody] = useState('');

  useEffect(() => {
    catalogAll('target').then((ts) => setTargetOptions(ts.map((t) => ({ value: t.id!.id, label: t.name })))).catch(() => undefined);
    catalogAll('template').then((ts) => setTemplates(ts.map((t) => ({ value: t.id!.id, label: t.name })))).catch(() => undefined);
  }, []);

  const valid = targets.length > 0 && (mode === 'template' ? templateId !== null : body.trim() !== '');
  return (
    <FormModal
      opened
      size="lg"
      submitLabel="Save"
      title="Send notification"
      canSubmit={valid}
      onClose={onClose}
      submit={async () => {
        await sendNotification(targets, mode === 'template' ? { templateId: templateId! } : { subject: subject.trim(), body: body.trim() });
        toasts.show({ color: 'green', message: 'Notification sent' });
        onClose();
      }}
    >
      <MultiSelect label="Targets" required searchable data={targetOptions} value={targets} onChange={setTargets} />
      <SegmentedControl
        data={[
          { value: 'message', label: 'Message' },
          { value: 'template', label: 'Template' },
        ]}
        value={mode}
        onChange={(v) => setMode(v as 'message' | 'template')}
      />
      {mode === 'template' ? (
        <Select label="Template" searchable data={templates} value={templateId} onChange={setTemplateId} />
      ) : (
        <>
          <TextInput label="Subject" value={subject} onChange={(e) => setSubject(e.currentTarget.value)} />
          <Textarea label="Message" required autosize minRows={3} value={body} onChange={(e) => setBody(e.currentTarget.value)} />
        </>
      )}
    </FormModal>
  );
}
