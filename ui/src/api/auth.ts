/** `/api/auth/*`: login, the current user, password change, logout (spec §3.1). */

import { api } from './instance';
import type { JwtPair, User } from './types';

export async function login(username: string, password: string): Promise<void> {
  const pair = await api.request<JwtPair>('POST', '/api/auth/login', {
    body: { username, password },
    anonymous: true,
  });
  api.tokens.set(pair);
}

export const currentUser = (): Promise<User> => api.get<User>('/api/auth/user');

export async function changePassword(currentPassword: string, newPassword: string): Promise<void> {
  // The server invalidates older tokens and answers a fresh pair.
  const pair = await api.post<JwtPair>('/api/auth/changePassword', {
    currentPassword,
    newPassword,
  });
  if (pair?.token) api.tokens.set(pair);
}

export async function logout(): Promise<void> {
  try {
    await api.post('/api/auth/logout');
  } finally {
    api.tokens.clear();
  }
}
