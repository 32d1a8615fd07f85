import { Button, CopyButton, Group, Menu, Modal, Stack, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconHome, IconShare, IconWorld, IconWorldOff } from '@tabler/icons-react';
import { useState } from 'react';
import { describeError } from '../../api/errors';
import { makeDashboardPrivate, makeDashboardPublic, publicIdOf, publicLink, setTenantHomeDashboard } from '../../dashboards/api';
import type { Dashboard } from '../../dashboards/types';

/** Tenant admins: share a dashboard publicly (with its link) or make it the tenant's home dashboard. */
export function ShareMenu({ dashboard, onChange }: { dashboard: Dashboard; onChange: (next: Dashboard) => void }) {
  const [showLink, setShowLink] = useState(false);
  const id = dashboard.id?.id;
  const publicId = publicIdOf(dashboard);
  if (!id) return null;
  const link = publicId ? publicLink(window.location.origin, id, publicId) : '';

  async function run(work: () => Promise<void>) {
    try {
      await work();
    } catch (e) {
      notifications.show({ color: 'red', message: describeError(e) });
    }
  }

  return (
    <>
      <Menu position="bottom-end">
        <Menu.Target>
          <Button variant="default" leftSection={<IconShare size={16} />} data-testid="share-menu">
            Share
          </Button>
        </Menu.Target>
        <Menu.Dropdown>
          {publicId ? (
            <>
              <Menu.Item leftSection={<IconWorld size={16} />} onClick={() => setShowLink(true)} data-testid="show-public-link">
                Public link
              </Menu.Item>
              <Menu.Item
                leftSection={<IconWorldOff size={16} />}
                onClick={() => run(async () => onChange(await makeDashboardPrivate(id)))}
                data-testid="make-private"
              >
                Make private
              </Menu.Item>
            </>
          ) : (
            <Menu.Item
              leftSection={<IconWorld size={16} />}
              onClick={() =>
                run(async () => {
                  onChange(await makeDashboardPublic(id));
                  setShowLink(true);
                })
              }
              data-testid="make-public"
            >
              Make public
            </Menu.Item>
          )}
          <Menu.Item
            leftSection={<IconHome size={16} />}
            onClick={() =>
              run(async () => {
                await setTenantHomeDashboard(id);
                notifications.show({ color: 'green', message: 'Home dashboard of the tenant set' });
              })
            }
            data-testid="set-home"
          >
            Set as home dashboard
          </Menu.Item>
        </Menu.Dropdown>
      </Menu>
      <Modal opened={showLink && Boolean(publicId)} onClose={() => setShowLink(false)} title="Public dashboard">
        <Stack gap="sm">
          <Text size="sm">Anyone with this link sees the dashboard, read-only, without signing in.</Text>
          <Group wrap="nowrap" align="flex-end">
            <TextInput readOnly value={link} style={{ flex: 1 }} data-testid="public-link" />
            <CopyButton value={link}>
              {({ copied, copy }) => (
                <Button variant="light" onClick={copy}>
                  {copied ? 'Copied' : 'Copy'}
                </Button>
              )}
            </CopyButton>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
