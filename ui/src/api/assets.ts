/** Assets and asset profiles (spec §3.3): CRUD, customer assignment. */

import type { PageLink } from '../lib/pageLink';
import { pageParams } from '../lib/pageLink';
import { api } from './instance';
import type { EntityId, PageData, User } from './types';

export interface Asset {
  id?: EntityId<'ASSET'>;
  createdTime?: number;
  name: string;
  type?: string;
  label?: string | null;
  customerId?: EntityId<'CUSTOMER'>;
  assetProfileId?: EntityId<'ASSET_PROFILE'> | null;
  additionalInfo?: { description?: string; [field: string]: unknown } | null;
  version?: number | null;
  [field: string]: unknown;
}

export interface AssetInfo extends Asset {
  customerTitle?: string | null;
  assetProfileName?: string | null;
}

export interface AssetProfileInfo {
  id: EntityId<'ASSET_PROFILE'>;
  name: string;
}

/** Asset infos visible to `user`: the tenant's, or only its own customer's. */
export function assetInfos(user: User, link: PageLink): Promise<PageData<AssetInfo>> {
  const customer = user.authority === 'CUSTOMER_USER' ? user.customerId?.id : undefined;
  const path = customer ? `/api/customer/${customer}/assetInfos` : '/api/tenant/assetInfos';
  return api.get(path, pageParams(link));
}

export const assetInfo = (id: string): Promise<AssetInfo> => api.get(`/api/asset/info/${id}`);

export const saveAsset = (asset: Asset): Promise<Asset> => api.post('/api/asset', asset);

export const deleteAsset = (id: string): Promise<void> => api.delete(`/api/asset/${id}`);

export const assignAsset = (assetId: string, customerId: string): Promise<Asset> =>
  api.post(`/api/customer/${customerId}/asset/${assetId}`);

export const unassignAsset = (assetId: string): Promise<Asset> => api.delete(`/api/customer/asset/${assetId}`);

export async function assetProfiles(): Promise<AssetProfileInfo[]> {
  const page = await api.get<PageData<AssetProfileInfo>>('/api/assetProfileInfos', {
    pageSize: 500,
    page: 0,
    sortProperty: 'name',
    sortOrder: 'ASC',
  });
  return page.data;
}

export interface AssetProfile {
  id?: EntityId<'ASSET_PROFILE'>;
  createdTime?: number;
  name: string;
  description?: string | null;
  default?: boolean;
  version?: number | null;
  [field: string]: unknown;
}

export const assetProfilePage = (link: PageLink): Promise<PageData<AssetProfile>> =>
  api.get('/api/assetProfiles', pageParams(link));

export const saveAssetProfile = (profile: AssetProfile): Promise<AssetProfile> => api.post('/api/assetProfile', profile);

export const deleteAssetProfile = (id: string): Promise<void> => api.delete(`/api/assetProfile/${id}`);

export const makeDefaultAssetProfile = (id: string): Promise<AssetProfile> => api.post(`/api/assetProfile/${id}/default`);
