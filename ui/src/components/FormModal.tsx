import { Alert, Button, Group, Modal, Stack } from '@mantine/core';
import { useEffect, useState, type ReactNode } from 'react';
import { useTask } from './useTask';

interface Props {
  opened: boolean;
  title: string;
  onClose: () => void;
  /** Saves; a thrown error is shown above the fields and the dialog stays open. */
  submit: () => Promise<void>;
  submitLabel: string;
  canSubmit: boolean;
  size?: string;
  children: ReactNode;
}

/** The dialog every entity form uses: its fields, the save error, Cancel and the submit button. */
export function FormModal({ opened, title, onClose, submit, submitLabel, canSubmit, size, children }: Props) {
  const [error, setError] = useState<string | null>(null);
  const task = useTask(setError);
  useEffect(() => {
    if (opened) setError(null);
  }, [opened]);
  return (
    <Modal opened={opened} onClose={onClose} title={title} centered size={size}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void task.run(submit);
        }}
      >
        <Stack>
          {error && (
            <Alert color="red" variant="light">
              {error}
            </Alert>
          )}
          {children}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={task.busy} disabled={!canSubmit}>
              {submitLabel}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
