import { Group, Text, ThemeIcon } from '@mantine/core';

/** The product mark: the favicon's bars and the name. */
export function Brand({ size = 'lg' }: { size?: 'md' | 'lg' | 'xl' }) {
  return (
    <Group gap={8} wrap="nowrap">
      <ThemeIcon size={size} radius="md" variant="filled" aria-hidden>
        <svg viewBox="0 0 32 32" width="70%" height="70%">
          <path d="M6 26V6h4v20zm8 0V12h4v14zm8 0v-8h4v8z" fill="currentColor" />
        </svg>
      </ThemeIcon>
      <Text fw={700} size={size} style={{ letterSpacing: '-0.01em' }}>
        IndustryOS
      </Text>
    </Group>
  );
}
