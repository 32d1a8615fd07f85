/** Where the JWT pair lives between page loads (localStorage, as ThingsBoard's UI keeps it). */

import type { JwtPair } from './types';

const TOKEN = 'industryos.token';
const REFRESH = 'industryos.refreshToken';

export interface TokenStore {
  get(): JwtPair | null;
  set(pair: JwtPair): void;
  clear(): void;
}

export const browserTokens: TokenStore = {
  get() {
    const token = localStorage.getItem(TOKEN);
    const refreshToken = localStorage.getItem(REFRESH);
    return token && refreshToken ? { token, refreshToken } : null;
  },
  set(pair) {
    localStorage.setItem(TOKEN, pair.token);
    localStorage.setItem(REFRESH, pair.refreshToken);
  },
  clear() {
    localStorage.removeItem(TOKEN);
    localStorage.removeItem(REFRESH);
  },
};

/** An in-memory store, for tests. */
export function memoryTokens(initial: JwtPair | null = null): TokenStore {
  let pair = initial;
  return {
    get: () => pair,
    set: (next) => {
      pair = next;
    },
    clear: () => {
      pair = null;
    },
  };
}
