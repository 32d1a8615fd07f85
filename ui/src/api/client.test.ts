import { describe, expect, it } from 'vitest';
import { ApiClient, buildUrl } from './client';
import { ApiError } from './errors';
import { authorityOf, decodeClaims, isExpiring } from './jwt';
import { memoryTokens } from './tokens';

function jwt(claims: object): string {
  const b64 = (o: object) =>
    btoa(JSON.stringify(o)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  return `${b64({ alg: 'HS512' })}.${b64(claims)}.sig`;
}

const NOW = 1_700_000_000_000;
const fresh = jwt({ sub: 'a@b.c', scopes: ['TENANT_ADMIN'], exp: NOW / 1000 + 3600 });
const expired = jwt({ sub: 'a@b.c', scopes: ['TENANT_ADMIN'], exp: NOW / 1000 - 10 });

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

describe('jwt', () => {
  it('decodes claims and the authority', () => {
    const claims = decodeClaims(fresh)!;
    expect(claims.sub).toBe('a@b.c');
    expect(authorityOf(claims)).toBe('TENANT_ADMIN');
    expect(isExpiring(claims, NOW)).toBe(false);
    expect(isExpiring(decodeClaims(expired)!, NOW)).toBe(true);
    expect(decodeClaims('garbage')).toBeNull();
    expect(decodeClaims('a.b.c')).toBeNull();
  });
});

describe('ApiClient', () => {
  it('builds query strings without empty values', () => {
    expect(buildUrl('/api/x', { a: 1, b: '', c: null, d: 'x y' })).toBe('/api/x?a=1&d=x+y');
    expect(buildUrl('/api/x', {})).toBe('/api/x');
  });

  it('sends the token and turns error bodies into ApiError', async () => {
    const seen: RequestInit[] = [];
    const client = new ApiClient(memoryTokens({ token: fresh, refreshToken: 'r' }), async (_url, init) => {
      seen.push(init);
      return json(403, { status: 403, message: 'You don\'t have permission', errorCode: 20 });
    }, () => NOW);
    const error = await client.get('/api/device/1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).errorCode).toBe(20);
    expect((seen[0]!.headers as Record<string, string>)['X-Authorization']).toBe(`Bearer ${fresh}`);
  });

  it('refreshes an expired token once for concurrent requests', async () => {
    const tokens = memoryTokens({ token: expired, refreshToken: 'r1' });
    const calls: string[] = [];
    const client = new ApiClient(tokens, async (url, init) => {
      calls.push(url);
      if (url === '/api/auth/token') {
        expect(JSON.parse(init.body as string)).toEqual({ refreshToken: 'r1' });
        return json(200, { token: fresh, refreshToken: 'r2' });
      }
      return json(200, { ok: (init.headers as Record<string, string>)['X-Authorization'] });
    }, () => NOW);
    const [a, b] = await Promise.all([client.get<{ ok: string }>('/api/a'), client.get<{ ok: string }>('/api/b')]);
    expect(a.ok).toBe(`Bearer ${fresh}`);
    expect(b.ok).toBe(`Bearer ${fresh}`);
    expect(calls.filter((c) => c === '/api/auth/token')).toHaveLength(1);
    expect(tokens.get()?.refreshToken).toBe('r2');
  });

  it('ends the session when the server refuses the token', async () => {
    const tokens = memoryTokens({ token: fresh, refreshToken: 'r' });
    let ended = 0;
    const client = new ApiClient(tokens, async () => json(401, { status: 401, message: 'Authentication failed', errorCode: 10 }), () => NOW);
    client.onSessionEnd = () => ended++;
    await expect(client.get('/api/x')).rejects.toThrow('Authentication failed');
    expect(ended).toBe(1);
    expect(tokens.get()).toBeNull();
  });

  it('reads plain-text errors and empty bodies', async () => {
    const client = new ApiClient(memoryTokens(), async (url) =>
      url === '/api/empty' ? new Response('', { status: 200 }) : new Response('Invalid scope: X', { status: 400 }),
    );
    expect(await client.get('/api/empty')).toBeUndefined();
    await expect(client.get('/api/bad')).rejects.toThrow('Invalid scope: X');
  });
});
