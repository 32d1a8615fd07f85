import { Alert, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { describeError } from '../api/errors';
import { useSession } from '../auth/session';
import { Brand } from '../components/Brand';
import { safeNext } from '../lib/redirect';

export function LoginPage() {
  const session = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const next = safeNext(params.get('next'));

  if (session.status === 'signedIn') return <Navigate to={next} replace />;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await session.login(username.trim(), password);
      navigate(next, { replace: true });
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Center mih="100vh" p="md" className="login-backdrop">
      <Paper withBorder shadow="md" p="xl" radius="lg" w="100%" maw={400}>
        <form onSubmit={submit}>
          <Stack gap="md">
            <Brand size="xl" />
            <div>
              <Title order={2} size="h3">
                Sign in
              </Title>
              <Text c="dimmed" size="sm">
                Devices, assets and live telemetry of your plant.
              </Text>
            </div>
            {error && (
              <Alert color="red" variant="light" role="alert">
                {error}
              </Alert>
            )}
            <TextInput
              label="E-mail"
              type="email"
              autoComplete="username"
              required
              value={username}
              onChange={(e) => setUsername(e.currentTarget.value)}
              data-autofocus
            />
            <PasswordInput
              label="Password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
            />
            <Button type="submit" loading={busy} fullWidth size="md">
              Sign in
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
