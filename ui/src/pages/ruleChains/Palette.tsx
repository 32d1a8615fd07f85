import { Accordion, Badge, Group, ScrollArea, Stack, Text, TextInput, UnstyledButton } from '@mantine/core';
import { IconSearch } from '@tabler/icons-react';
import { useMemo, useState, type DragEvent } from 'react';
import type { ComponentDescriptor } from '../../api/ruleChains';
import { GROUP_COLOR, GROUPS, paletteGroups } from '../../lib/ruleNodes';

/** The drag payload type of a palette item: its class name. */
export const DRAG_TYPE = 'application/x-industryos-rule-node';

interface Props {
  components: ComponentDescriptor[];
  /** A click (or tap, where dragging is awkward) adds the node in the middle of the view. */
  onPick: (descriptor: ComponentDescriptor) => void;
}

/** Node types grouped as in the spec; drag one onto the canvas, or click to add it. */
export function Palette({ components, onPick }: Props) {
  const [search, setSearch] = useState('');
  const groups = useMemo(() => paletteGroups(components, search), [components, search]);

  const start = (event: DragEvent, clazz: string) => {
    event.dataTransfer.setData(DRAG_TYPE, clazz);
    event.dataTransfer.effectAllowed = 'move';
  };

  return (
    <Stack gap="xs" h="100%" data-testid="palette">
      <TextInput
        size="xs"
        placeholder="Search nodes"
        aria-label="Search nodes"
        leftSection={<IconSearch size={14} />}
        value={search}
        onChange={(e) => setSearch(e.currentTarget.value)}
      />
      <ScrollArea style={{ flex: 1 }} type="auto">
        <Accordion multiple defaultValue={GROUPS.map((g) => g.type)} variant="default" chevronPosition="left">
          {groups.map((group) => (
            <Accordion.Item key={group.type} value={group.type}>
              <Accordion.Control py={4}>
                <Group gap={6}>
                  <Badge size="xs" circle color={GROUP_COLOR[group.type]} />
                  <Text size="sm" fw={600}>
                    {group.label}
                  </Text>
                </Group>
              </Accordion.Control>
              <Accordion.Panel>
                <Stack gap={4}>
                  {group.items.map((c) => (
                    <UnstyledButton
                      key={c.clazz}
                      draggable
                      onDragStart={(e) => start(e, c.clazz)}
                      onClick={() => onPick(c)}
                      className="palette-item"
                      data-clazz={c.clazz}
                      title={c.configurationDescriptor?.nodeDefinition?.description ?? c.clazz}
                      style={{ borderLeft: `4px solid var(--mantine-color-${GROUP_COLOR[group.type]}-5)` }}
                    >
                      <Text size="sm">{c.name}</Text>
                    </UnstyledButton>
                  ))}
                </Stack>
              </Accordion.Panel>
            </Accordion.Item>
          ))}
        </Accordion>
      </ScrollArea>
    </Stack>
  );
}
