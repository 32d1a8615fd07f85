/** Reads the claims of our own access token: no signature check, the server does that. */

import type { Authority } from './types';

export interface Claims {
  sub: string;
  scopes: string[];
  userId?: string;
  tenantId?: string;
  customerId?: string;
  firstName?: string;
  lastName?: string;
  exp: number;
}

function base64UrlDecode(segment: string): string {
  const base64 = segment.replace(/-/g, '+').replace(/_/g, '/');
  const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/** The payload of a JWT, or null when the string is not one. */
export function decodeClaims(token: string): Claims | null {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return null;
  try {
    const claims = JSON.parse(base64UrlDecode(parts[1])) as Partial<Claims>;
    if (typeof claims.sub !== 'string' || typeof claims.exp !== 'number') return null;
    return { ...claims, scopes: Array.isArray(claims.scopes) ? claims.scopes : [] } as Claims;
  } catch {
    return null;
  }
}

/** The user authority the token carries (refresh tokens carry none). */
export function authorityOf(claims: Claims): Authority | null {
  const known: Authority[] = ['SYS_ADMIN', 'TENANT_ADMIN', 'CUSTOMER_USER'];
  return known.find((a) => claims.scopes.includes(a)) ?? null;
}

/** True when the token expires within `skewMs` of `nowMs` (refresh a little early). */
export function isExpiring(claims: Claims, nowMs: number, skewMs = 30_000): boolean {
  return claims.exp * 1000 - skewMs <= nowMs;
}
