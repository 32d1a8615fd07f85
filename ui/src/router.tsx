/**
 * Routes, each page its own chunk: the login page loads only itself, the shell and the
 * entity pages load after sign-in.
 */

import { createBrowserRouter } from 'react-router';
import { RequireAuth } from './auth/RequireAuth';

export const router = createBrowserRouter([
  {
    path: '/login',
    lazy: async () => ({ Component: (await import('./pages/LoginPage')).LoginPage }),
  },
  {
    path: '/login/createPassword',
    lazy: async () => ({ Component: (await import('./pages/users/CreatePasswordPage')).CreatePasswordPage }),
  },
  {
    path: '/dashboard/:dashboardId',
    lazy: async () => ({ Component: (await import('./pages/dashboards/PublicDashboardPage')).PublicDashboardPage }),
  },
  {
    path: '/',
    element: <RequireAuth />,
    children: [
      {
        lazy: async () => ({ Component: (await import('./layout/Shell')).Shell }),
        children: [
          {
            index: true,
            lazy: async () => ({ Component: (await import('./pages/HomePage')).HomePage }),
          },
          {
            path: 'devices',
            lazy: async () => ({ Component: (await import('./pages/devices/DevicesPage')).DevicesPage }),
          },
          {
            path: 'devices/:deviceId/:tab?',
            lazy: async () => ({ Component: (await import('./pages/devices/DevicePage')).DevicePage }),
          },
          {
            path: 'rule-chains',
            lazy: async () => ({ Component: (await import('./pages/ruleChains/RuleChainsPage')).RuleChainsPage }),
          },
          {
            path: 'rule-chains/:chainId',
            lazy: async () => ({
              Component: (await import('./pages/ruleChains/RuleChainEditorPage')).RuleChainEditorPage,
            }),
          },
          {
            path: 'dashboards',
            lazy: async () => ({ Component: (await import('./pages/dashboards/DashboardsPage')).DashboardsPage }),
          },
          {
            path: 'dashboards/:dashboardId',
            lazy: async () => ({ Component: (await import('./pages/dashboards/DashboardPage')).DashboardPage }),
          },
          {
            path: 'alarms',
            lazy: async () => ({ Component: (await import('./pages/alarms/AlarmsPage')).AlarmsPage }),
          },
          {
            path: 'device-profiles',
            lazy: async () => ({
              Component: (await import('./pages/deviceProfiles/DeviceProfilesPage')).DeviceProfilesPage,
            }),
          },
          {
            path: 'device-profiles/:profileId/:tab?',
            lazy: async () => ({
              Component: (await import('./pages/deviceProfiles/DeviceProfilePage')).DeviceProfilePage,
            }),
          },
          {
            path: 'notifications/:tab?',
            lazy: async () => ({
              Component: (await import('./pages/notifications/NotificationsPage')).NotificationsPage,
            }),
          },
          {
            path: 'ota-packages',
            lazy: async () => ({ Component: (await import('./pages/ota/OtaPackagesPage')).OtaPackagesPage }),
          },
          {
            path: 'assets',
            lazy: async () => ({ Component: (await import('./pages/assets/AssetsPage')).AssetsPage }),
          },
          {
            path: 'assets/:assetId/:tab?',
            lazy: async () => ({ Component: (await import('./pages/assets/AssetPage')).AssetPage }),
          },
          {
            path: 'customers',
            lazy: async () => ({ Component: (await import('./pages/customers/CustomersPage')).CustomersPage }),
          },
          {
            path: 'customers/:customerId/:tab?',
            lazy: async () => ({ Component: (await import('./pages/customers/CustomerPage')).CustomerPage }),
          },
          {
            path: 'users',
            lazy: async () => ({ Component: (await import('./pages/users/UsersPage')).UsersPage }),
          },
          {
            path: 'asset-profiles',
            lazy: async () => ({ Component: (await import('./pages/assets/AssetProfilesPage')).AssetProfilesPage }),
          },
          {
            path: 'tenants',
            lazy: async () => ({ Component: (await import('./pages/tenants/TenantsPage')).TenantsPage }),
          },
          {
            path: 'tenants/:tenantId/:tab?',
            lazy: async () => ({ Component: (await import('./pages/tenants/TenantPage')).TenantPage }),
          },
          {
            path: 'tenant-profiles',
            lazy: async () => ({
              Component: (await import('./pages/tenantProfiles/TenantProfilesPage')).TenantProfilesPage,
            }),
          },
          {
            path: 'settings/sms',
            lazy: async () => ({ Component: (await import('./pages/settings/SmsSettingsPage')).SmsSettingsPage }),
          },
          {
            path: 'tenant/:tab?',
            lazy: async () => ({ Component: (await import('./pages/tenants/TenantPage')).MyTenantPage }),
          },
          {
            path: 'settings/mail',
            lazy: async () => ({ Component: (await import('./pages/settings/MailSettingsPage')).MailSettingsPage }),
          },
          {
            path: ':section',
            lazy: async () => ({
              Component: (await import('./pages/EntityListPage')).UnknownSectionPage,
            }),
          },
        ],
      },
    ],
  },
]);
