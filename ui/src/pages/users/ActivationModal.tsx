import { Alert, Button, CopyButton, Group, Loader, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useEffect, useState } from 'react';
import { describeError } from '../../api/errors';
import { activationLink, createPasswordLink, type UserRow } from '../../api/users';

/** The link a new user sets a first password with (no mail is sent by this node). */
export function ActivationModal({ user, onClose }: { user: UserRow | null; onClose: () => void }) {
  const [link, setLink] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setLink(null);
    setError(null);
    if (!user) return;
    activationLink(user.id.id)
      .then((l) => setLink(createPasswordLink(String(l), window.location.origin) ?? String(l)))
      .catch((e: unknown) => setError(describeError(e)));
  }, [user]);
  return (
    <Modal opened={user !== null} onClose={onClose} title="Activation link" centered size="lg">
      <Stack>
        <Text size="sm">
          Send this link to <b>{user?.email}</b>: it lets them set a password and sign in.
        </Text>
        {error && <Alert color="red">{error}</Alert>}
        {!link && !error && <Loader size="sm" />}
        {link && (
          <Group gap="xs" wrap="nowrap" align="flex-end">
            <TextInput readOnly value={link} style={{ flex: 1 }} data-testid="activation-link" aria-label="Activation link" />
            <CopyButton value={link}>
              {({ copied, copy }) => (
                <Button variant="light" onClick={copy}>
                  {copied ? 'Copied' : 'Copy'}
                </Button>
              )}
            </CopyButton>
          </Group>
        )}
      </Stack>
    </Modal>
  );
}
