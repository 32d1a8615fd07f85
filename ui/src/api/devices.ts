/** Devices, their credentials and customer assignment (spec §3.2). */

import type { PageLink } from '../lib/pageLink';
import { pageParams } from '../lib/pageLink';
import { api } from './instance';
import type { Device, DeviceCredentials, DeviceInfo, PageData, User } from './types';

/** Device infos visible to `user`: the tenant's, or only its own customer's. */
export function deviceInfos(user: User, link: PageLink): Promise<PageData<DeviceInfo>> {
  const customer = user.authority === 'CUSTOMER_USER' ? user.customerId?.id : undefined;
  const path = customer ? `/api/customer/${customer}/deviceInfos` : '/api/tenant/deviceInfos';
  return api.get(path, pageParams(link));
}

export const deviceInfo = (id: string): Promise<DeviceInfo> => api.get(`/api/device/info/${id}`);

export const saveDevice = (device: Device): Promise<Device> => api.post('/api/device', device);

export const deleteDevice = (id: string): Promise<void> => api.delete(`/api/device/${id}`);

export const credentials = (id: string): Promise<DeviceCredentials> =>
  api.get(`/api/device/${id}/credentials`);

export const saveCredentials = (creds: DeviceCredentials): Promise<DeviceCredentials> =>
  api.post('/api/device/credentials', creds);

export const assignToCustomer = (deviceId: string, customerId: string): Promise<Device> =>
  api.post(`/api/customer/${customerId}/device/${deviceId}`);

export const unassignFromCustomer = (deviceId: string): Promise<Device> =>
  api.delete(`/api/customer/device/${deviceId}`);
