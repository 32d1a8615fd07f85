/** The signed-in user as React context: who, which tenant/customer, and how to sign in/out. */

import { createContext, useContext } from 'react';
import type { User } from '../api/types';

export interface Session {
  status: 'loading' | 'anonymous' | 'signedIn';
  user: User | null;
  tenantTitle: string | null;
  customerTitle: string | null;
  login(username: string, password: string): Promise<void>;
  logout(): Promise<void>;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

/** The signed-in user; only for components rendered behind `RequireAuth`. */
export function useUser(): User {
  const { user } = useSession();
  if (!user) throw new Error('useUser without a signed-in user');
  return user;
}
