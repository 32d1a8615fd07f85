import { Button, Chip, Group, Modal, ScrollArea, Stack, Text, TextInput } from '@mantine/core';
import { useEffect, useState } from 'react';

interface Props {
  /** The labels the source node emits; null while no relation is being drawn. */
  choices: string[] | null;
  title: string;
  onCancel: () => void;
  onDone: (labels: string[]) => void;
}

/** Asks for the labels of a relation drawn on the canvas: the node's own, or a custom one. */
export function RelationModal({ choices, title, onCancel, onDone }: Props) {
  const [picked, setPicked] = useState<string[]>([]);
  const [custom, setCustom] = useState('');
  useEffect(() => {
    setPicked(choices?.length === 1 && choices[0] ? [choices[0]] : []);
    setCustom('');
  }, [choices]);
  const labels = [...picked, ...custom.split(',').map((l) => l.trim()).filter(Boolean)];

  return (
    <Modal opened={choices !== null} onClose={onCancel} title="Add relation">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (labels.length) onDone(labels);
        }}
      >
        <Stack>
          <Text size="sm" c="dimmed">
            {title}
          </Text>
          <ScrollArea.Autosize mah={260} type="auto">
            <Chip.Group multiple value={picked} onChange={setPicked}>
              <Group gap={6}>
                {(choices ?? []).map((label) => (
                  <Chip key={label} value={label} size="sm">
                    {label}
                  </Chip>
                ))}
              </Group>
            </Chip.Group>
          </ScrollArea.Autosize>
          <TextInput
            label="Custom label"
            description="Any other label the node emits (a switch's, a chain output's); commas separate several"
            value={custom}
            onChange={(e) => setCustom(e.currentTarget.value)}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={onCancel}>
              Cancel
            </Button>
            <Button type="submit" disabled={labels.length === 0}>
              Add
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
