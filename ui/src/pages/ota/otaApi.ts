/** OTA packages (spec platform-api §3.10) and their update status. */

import { api } from '../../api/instance';
import { errorFromBody } from '../../api/errors';
import type { EntityId, PageData } from '../../api/types';
import type { PageLink } from '../../lib/pageLink';
import { pageParams } from '../../lib/pageLink';

export const PACKAGE_TYPES = ['FIRMWARE', 'SOFTWARE'] as const;
export type PackageType = (typeof PACKAGE_TYPES)[number];
export const CHECKSUM_ALGORITHMS = ['SHA256', 'SHA384', 'SHA512', 'MD5', 'CRC32', 'MURMUR3_32', 'MURMUR3_128'] as const;

export interface OtaPackageInfo {
  id?: EntityId<'OTA_PACKAGE'>;
  createdTime?: number;
  deviceProfileId: { id: string; entityType?: 'DEVICE_PROFILE' };
  type: PackageType;
  title: string;
  version: string;
  tag?: string | null;
  url?: string | null;
  hasData?: boolean;
  fileName?: string | null;
  contentType?: string | null;
  checksumAlgorithm?: string | null;
  checksum?: string | null;
  dataSize?: number | null;
}

export interface ProfileStatus {
  total: number;
  states: Record<string, number>;
}

export const otaPackages = (link: PageLink): Promise<PageData<OtaPackageInfo>> =>
  api.get('/api/otaPackages', pageParams(link));

export const saveOtaPackage = (info: OtaPackageInfo): Promise<OtaPackageInfo> => api.post('/api/otaPackage', info);

export const deleteOtaPackage = (id: string): Promise<void> => api.delete(`/api/otaPackage/${id}`);

export const profileStatus = (profileId: string, type: PackageType): Promise<ProfileStatus> =>
  api.get(`/api/ota/deviceProfile/${profileId}/status`, { type });

/** Uploads the package's content as the multipart field `file` (the JSON client can't). */
export async function uploadOtaContent(
  id: string,
  file: File,
  checksumAlgorithm: string,
  checksum?: string,
): Promise<OtaPackageInfo> {
  const token = await api.freshToken();
  const form = new FormData();
  form.append('file', file, file.name);
  const query = new URLSearchParams({ checksumAlgorithm });
  if (checksum) query.set('checksum', checksum);
  const response = await fetch(`/api/otaPackage/${id}?${query}`, {
    method: 'POST',
    headers: token ? { 'X-Authorization': `Bearer ${token}` } : {},
    body: form,
  });
  const text = await response.text();
  if (!response.ok) throw errorFromBody(response.status, text);
  return JSON.parse(text) as OtaPackageInfo;
}

/** Saves the package's content through the browser (an authenticated fetch, then a link). */
export async function downloadOtaContent(info: OtaPackageInfo): Promise<void> {
  const token = await api.freshToken();
  const response = await fetch(`/api/otaPackage/${info.id!.id}/download`, {
    headers: token ? { 'X-Authorization': `Bearer ${token}` } : {},
  });
  if (!response.ok) throw errorFromBody(response.status, await response.text());
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = info.fileName ?? `${info.title}-${info.version}`;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A byte count as people read it. */
export function formatSize(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
