/** Customers (spec §3.3): CRUD, and the users, devices and assets a customer owns. */

import type { PageLink } from '../lib/pageLink';
import { pageParams } from '../lib/pageLink';
import { api } from './instance';
import type { DeviceInfo, EntityId, PageData } from './types';
import type { AssetInfo } from './assets';

export interface Customer {
  id?: EntityId<'CUSTOMER'>;
  createdTime?: number;
  title: string;
  email?: string | null;
  phone?: string | null;
  country?: string | null;
  city?: string | null;
  address?: string | null;
  additionalInfo?: { description?: string; [field: string]: unknown } | null;
  version?: number | null;
  [field: string]: unknown;
}

export const customerPage = (link: PageLink): Promise<PageData<Customer>> =>
  api.get('/api/customers', pageParams(link));

/** Every customer of the tenant, by title (for pickers). */
export async function allCustomers(): Promise<Customer[]> {
  const page = await api.get<PageData<Customer>>('/api/customers', {
    pageSize: 1000,
    page: 0,
    sortProperty: 'title',
    sortOrder: 'ASC',
  });
  return page.data;
}

export const customer = (id: string): Promise<Customer> => api.get(`/api/customer/${id}`);

export const saveCustomer = (body: Customer): Promise<Customer> => api.post('/api/customer', body);

export const deleteCustomer = (id: string): Promise<void> => api.delete(`/api/customer/${id}`);

export const customerDevices = (id: string, link: PageLink): Promise<PageData<DeviceInfo>> =>
  api.get(`/api/customer/${id}/deviceInfos`, pageParams(link));

export const customerAssets = (id: string, link: PageLink): Promise<PageData<AssetInfo>> =>
  api.get(`/api/customer/${id}/assetInfos`, pageParams(link));
