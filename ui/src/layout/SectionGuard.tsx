import type { ReactNode } from 'react';
import { Navigate } from 'react-router';
import { useUser } from '../auth/session';
import { canOpen, type Section } from '../lib/navigation';

/** Renders a page only for authorities whose navigation has its section; home otherwise. */
export function SectionGuard({ section, children }: { section: Section; children: ReactNode }) {
  const user = useUser();
  if (!canOpen(user.authority, section)) return <Navigate to="/" replace />;
  return <>{children}</>;
}
