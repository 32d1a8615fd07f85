/**
 * The one HTTP client of the UI: adds the bearer token, refreshes it once when it expires
 * (concurrent requests share that refresh), and turns error bodies into `ApiError`s.
 * When the refresh token is gone too, `onSessionEnd` sends the user back to the login page.
 */

import { ApiError, ErrorCode, errorFromBody } from './errors';
import { decodeClaims, isExpiring } from './jwt';
import type { TokenStore } from './tokens';
import type { JwtPair } from './types';

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** Send without the token (login). */
  anonymous?: boolean;
}

export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

export function buildUrl(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export class ApiClient {
  private refreshing: Promise<boolean> | null = null;
  onSessionEnd: () => void = () => {};

  constructor(
    readonly tokens: TokenStore,
    private readonly fetchImpl: Fetch = (input, init) => fetch(input, init),
    private readonly now: () => number = Date.now,
  ) {}

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, { query });
  }

  post<T>(path: string, body?: unknown, query?: Query): Promise<T> {
    return this.request<T>('POST', path, { body, query });
  }

  delete<T = void>(path: string, query?: Query): Promise<T> {
    return this.request<T>('DELETE', path, { query });
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    if (!options.anonymous) await this.refreshIfExpiring();
    let response = await this.send(method, path, options);
    if (response.status === 401 && !options.anonymous) {
      const body = await response.text();
      const error = errorFromBody(401, body);
      if (error.errorCode === ErrorCode.JWT_TOKEN_EXPIRED && (await this.refresh())) {
        response = await this.send(method, path, options);
      } else {
        this.endSession();
        throw error;
      }
    }
    const text = await response.text();
    if (!response.ok) {
      if (response.status === 401 && !options.anonymous) this.endSession();
      throw errorFromBody(response.status, text);
    }
    if (!text) return undefined as T;
    const type = response.headers.get('content-type') ?? '';
    return (type.includes('json') ? JSON.parse(text) : text) as T;
  }

  /** The current access token, refreshed first when it is about to expire. */
  async freshToken(): Promise<string | null> {
    await this.refreshIfExpiring();
    return this.tokens.get()?.token ?? null;
  }

  private send(method: string, path: string, options: RequestOptions): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    const pair = this.tokens.get();
    if (pair && !options.anonymous) headers['X-Authorization'] = `Bearer ${pair.token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    return this.fetchImpl(buildUrl(path, options.query), { method, headers, body });
  }

  private async refreshIfExpiring(): Promise<void> {
    const pair = this.tokens.get();
    if (!pair) return;
    const claims = decodeClaims(pair.token);
    if (claims && isExpiring(claims, this.now())) await this.refresh();
  }

  /** Trades the refresh token for a new pair; true when that worked. */
  private refresh(): Promise<boolean> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async doRefresh(): Promise<boolean> {
    const pair = this.tokens.get();
    if (!pair) return false;
    const response = await this.fetchImpl('/api/auth/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ refreshToken: pair.refreshToken }),
    });
    if (!response.ok) return false;
    this.tokens.set((await response.json()) as JwtPair);
    return true;
  }

  private endSession(): void {
    this.tokens.clear();
    this.onSessionEnd();
  }
}

export { ApiError };
