import { Badge, Button, Paper, Tabs, Text } from '@mantine/core';
import { IconSend } from '@tabler/icons-react';
import { useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import type { CatalogObject } from '../../api/notifications';
import { useUser } from '../../auth/session';
import type { Column } from '../../components/DataTable';
import { PageHeader } from '../../components/PageHeader';
import { CatalogTab } from './CatalogTab';
import { InboxTab } from './InboxTab';
import { RuleFormModal } from './RuleFormModal';
import { SendModal } from './SendModal';
import { TargetFormModal } from './TargetFormModal';
import { TemplateFormModal } from './TemplateFormModal';
import { SectionGuard } from '../../layout/SectionGuard';

const field = (row: CatalogObject, ...path: string[]): string => {
  let value: unknown = row;
  for (const key of path) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return typeof value === 'string' ? value : '';
};

const TARGET_COLUMNS: Column<CatalogObject>[] = [
  { key: 'type', label: 'Type', render: (r) => <Badge variant="light">{field(r, 'configuration', 'type')}</Badge> },
  { key: 'who', label: 'Recipients', render: (r) => <Text size="sm">{field(r, 'configuration', 'usersFilter', 'type') || field(r, 'configuration', 'conversation', 'name') || field(r, 'configuration', 'url')}</Text> },
];

const TEMPLATE_COLUMNS: Column<CatalogObject>[] = [
  { key: 'type', label: 'Type', render: (r) => <Badge variant="light">{field(r, 'notificationType')}</Badge> },
  {
    key: 'methods',
    label: 'Methods',
    render: (r) => {
      const methods = (r.configuration as { deliveryMethodsTemplates?: Record<string, { enabled?: boolean }> } | undefined)?.deliveryMethodsTemplates ?? {};
      return <Text size="sm">{Object.entries(methods).filter(([, m]) => m.enabled !== false).map(([k]) => k).join(', ')}</Text>;
    },
  },
];

const RULE_COLUMNS: Column<CatalogObject>[] = [
  { key: 'trigger', label: 'Trigger', render: (r) => <Badge variant="light">{field(r, 'triggerType')}</Badge> },
  { key: 'enabled', label: 'Enabled', render: (r) => <Badge variant="dot" color={r.enabled === false ? 'gray' : 'green'}>{r.enabled === false ? 'Off' : 'On'}</Badge> },
];

const ADMIN_TABS = [
  { value: 'targets', label: 'Targets' },
  { value: 'templates', label: 'Templates' },
  { value: 'rules', label: 'Rules' },
];

/** The inbox; for administrators also the targets, templates and rules of the tenant. */
export function NotificationsPage() {
  return (
    <SectionGuard section="notifications">
      <NotificationsPageContent />
    </SectionGuard>
  );
}

function NotificationsPageContent() {
  const { tab = 'inbox' } = useParams();
  const navigate = useNavigate();
  const user = useUser();
  const admin = user.authority !== 'CUSTOMER_USER';
  const tabs = [{ value: 'inbox', label: 'Inbox' }, ...(admin ? ADMIN_TABS : [])];
  const current = tabs.some((t) => t.value === tab) ? tab : 'inbox';
  const [sending, setSending] = useState(false);
  return (
    <>
      <PageHeader
        title="Notifications"
        subtitle={admin ? 'Your inbox, and who is told what when' : 'Your inbox'}
        actions={
          admin && (
            <Button leftSection={<IconSend size={16} />} variant="light" onClick={() => setSending(true)}>
              Send notification
            </Button>
          )
        }
      />
      {sending && <SendModal onClose={() => setSending(false)} />}
      <Paper withBorder radius="md">
        <Tabs value={current} keepMounted={false} onChange={(v) => v && navigate(`/notifications/${v}`, { replace: true })}>
          <Tabs.List style={{ flexWrap: 'nowrap', overflowX: 'auto', overflowY: 'hidden' }}>
            {tabs.map((t) => (
              <Tabs.Tab key={t.value} value={t.value} style={{ whiteSpace: 'nowrap' }}>
                {t.label}
              </Tabs.Tab>
            ))}
          </Tabs.List>
          <Tabs.Panel value="inbox" p="md">
            <InboxTab />
          </Tabs.Panel>
          {admin && (
            <>
              <Tabs.Panel value="targets" p="md">
                <CatalogTab kind="target" label="Target" columns={TARGET_COLUMNS} form={(p) => <TargetFormModal {...p} />} />
              </Tabs.Panel>
              <Tabs.Panel value="templates" p="md">
                <CatalogTab kind="template" label="Template" columns={TEMPLATE_COLUMNS} form={(p) => <TemplateFormModal {...p} />} />
              </Tabs.Panel>
              <Tabs.Panel value="rules" p="md">
                <CatalogTab kind="rule" label="Rule" columns={RULE_COLUMNS} form={(p) => <RuleFormModal {...p} />} />
              </Tabs.Panel>
            </>
          )}
        </Tabs>
      </Paper>
    </>
  );
}
