import { PageHeader } from '../../components/PageHeader';
import { userPage } from '../../api/users';
import { UserTable } from './UserTable';
import { SectionGuard } from '../../layout/SectionGuard';

export function UsersPage() {
  return (
    <SectionGuard section="users">
      <UsersPageContent />
    </SectionGuard>
  );
}

function UsersPageContent() {
  return (
    <>
      <PageHeader title="Users" subtitle="People who sign in to this tenant" />
      <UserTable load={userPage} />
    </>
  );
}
