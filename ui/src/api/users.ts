/** Users (spec §3.3): lists by owner, create with an activation link, enable/disable. */

import type { PageLink } from '../lib/pageLink';
import { pageParams } from '../lib/pageLink';
import { api } from './instance';
import type { Authority, EntityId, JwtPair, PageData, User } from './types';

export interface UserBody {
  id?: EntityId<'USER'>;
  email: string;
  authority: Authority;
  firstName?: string | null;
  lastName?: string | null;
  phone?: string | null;
  tenantId?: EntityId<'TENANT'> | null;
  customerId?: EntityId<'CUSTOMER'> | null;
  additionalInfo?: Record<string, unknown> | null;
  version?: number | null;
  [field: string]: unknown;
}

export type UserRow = User & { additionalInfo?: Record<string, unknown> | null; phone?: string | null; version?: number | null };

/** Users the caller may see (tenant admins: the tenant's admins and customer users). */
export const userPage = (link: PageLink): Promise<PageData<UserRow>> => api.get('/api/users', pageParams(link));

export const customerUsers = (customerId: string, link: PageLink): Promise<PageData<UserRow>> =>
  api.get(`/api/customer/${customerId}/users`, pageParams(link));

export async function allUsers(): Promise<UserRow[]> {
  const page = await api.get<PageData<UserRow>>('/api/users', { pageSize: 1000, page: 0, sortProperty: 'email', sortOrder: 'ASC' });
  return page.data;
}

export const saveUser = (body: UserBody): Promise<UserRow> => api.post('/api/user', body, { sendActivationMail: false });

export const deleteUser = (id: string): Promise<void> => api.delete(`/api/user/${id}`);

export const activationLink = (id: string): Promise<string> => api.get(`/api/user/${id}/activationLink`);

export const setUserEnabled = (id: string, enabled: boolean): Promise<void> =>
  api.post(`/api/user/${id}/userCredentialsEnabled`, undefined, { userCredentialsEnabled: enabled });

/** Sets the first password of a new account; the answer signs the user in. */
export async function activate(activateToken: string, password: string): Promise<void> {
  const pair = await api.request<JwtPair>('POST', '/api/noauth/activate', {
    body: { activateToken, password },
    anonymous: true,
  });
  api.tokens.set(pair);
}

/**
 * The UI page a new user opens to set a password (ThingsBoard's `/login/createPassword`),
 * made from the link the API hands out (which points at its POST-only activate endpoint).
 */
export function createPasswordLink(apiLink: string, origin: string): string | null {
  try {
    const token = new URL(apiLink, origin).searchParams.get('activateToken');
    return token ? `${origin}/login/createPassword?activateToken=${encodeURIComponent(token)}` : null;
  } catch {
    return null;
  }
}
