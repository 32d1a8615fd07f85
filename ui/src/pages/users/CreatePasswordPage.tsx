import { Alert, Button, Center, Paper, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { describeError } from '../../api/errors';
import { activate } from '../../api/users';
import { Brand } from '../../components/Brand';

/** Where an activation link leads: set the first password, then enter the app signed in. */
export function CreatePasswordPage() {
  const [params] = useSearchParams();
  const token = params.get('activateToken') ?? '';
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const mismatch = repeat.length > 0 && password !== repeat;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (password !== repeat) return;
    setBusy(true);
    setError(null);
    try {
      await activate(token, password);
      // A full load lets the session pick up the new tokens like any returning user.
      window.location.assign('/');
    } catch (e) {
      setError(describeError(e));
      setBusy(false);
    }
  }

  return (
    <Center mih="100vh" p="md" className="login-backdrop">
      <Paper withBorder shadow="md" p="xl" radius="lg" w="100%" maw={400}>
        <form onSubmit={submit}>
          <Stack gap="md">
            <Brand size="xl" />
            <Title order={2} size="h4">
              Create your password
            </Title>
            {!token && <Alert color="red">This link has no activation token.</Alert>}
            {error && (
              <Alert color="red" variant="light" role="alert">
                {error}
              </Alert>
            )}
            <Text size="sm" c="dimmed">
              Choose the password you will sign in with.
            </Text>
            <PasswordInput label="Password" autoComplete="new-password" required value={password} onChange={(e) => setPassword(e.currentTarget.value)} />
            <PasswordInput
              label="Repeat password"
              autoComplete="new-password"
              required
              value={repeat}
              error={mismatch ? 'Passwords differ' : undefined}
              onChange={(e) => setRepeat(e.currentTarget.value)}
            />
            <Button type="submit" loading={busy} disabled={!token || !password || mismatch}>
              Create password
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
