import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import * as auth from '../api/auth';
import { customerTitle, tenantTitle } from '../api/entities';
import { api } from '../api/instance';
import { NULL_UUID, type User } from '../api/types';
import { SessionContext, type Session } from './session';

interface State {
  status: Session['status'];
  user: User | null;
  tenantTitle: string | null;
  customerTitle: string | null;
}

const ANONYMOUS: State = {
  status: 'anonymous',
  user: null,
  tenantTitle: null,
  customerTitle: null,
};

/** Titles for the top bar; a title the user may not read is simply not shown. */
async function loadTitles(user: User): Promise<Pick<State, 'tenantTitle' | 'customerTitle'>> {
  const tenant = user.tenantId && user.tenantId.id !== NULL_UUID ? user.tenantId.id : null;
  const customer = user.customerId && user.customerId.id !== NULL_UUID ? user.customerId.id : null;
  const [t, c] = await Promise.allSettled([
    tenant && user.authority === 'TENANT_ADMIN' ? tenantTitle(tenant) : Promise.resolve(null),
    customer ? customerTitle(customer) : Promise.resolve(null),
  ]);
  return {
    tenantTitle: t.status === 'fulfilled' ? t.value : null,
    customerTitle: c.status === 'fulfilled' ? c.value : null,
  };
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<State>(() =>
    api.tokens.get() ? { ...ANONYMOUS, status: 'loading' } : ANONYMOUS,
  );

  const loadUser = useCallback(async () => {
    const user = await auth.currentUser();
    setState({ status: 'signedIn', user, ...(await loadTitles(user)) });
  }, []);

  useEffect(() => {
    api.onSessionEnd = () => setState(ANONYMOUS);
    if (api.tokens.get()) {
      loadUser().catch(() => {
        api.tokens.clear();
        setState(ANONYMOUS);
      });
    }
  }, [loadUser]);

  const session = useMemo<Session>(
    () => ({
      ...state,
      async login(username, password) {
        await auth.login(username, password);
        await loadUser();
      },
      async logout() {
        try {
          await auth.logout();
        } finally {
          setState(ANONYMOUS);
        }
      },
    }),
    [state, loadUser],
  );

  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}
