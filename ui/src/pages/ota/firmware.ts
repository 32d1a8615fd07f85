/**
 * Firmware/software status of one device (`/api/ota/device/{id}/status`) kept current by the
 * device's own telemetry: the states a device walks through (spec device-api §4.5) become
 * a progress value, and its reported `*_state`, `current_*_title`… override the snapshot.
 */

import { api } from '../../api/instance';
import type { EntityId, LatestTelemetry, PageData } from '../../api/types';
import type { OtaPackageInfo, PackageType } from './otaApi';

/** The path of an update, in order; FAILED can end it at any step. */
export const OTA_STEPS = ['QUEUED', 'INITIATED', 'DOWNLOADING', 'DOWNLOADED', 'VERIFIED', 'UPDATING', 'UPDATED'] as const;

export interface OtaKindStatus {
  package: OtaPackageInfo | null;
  state: string | null;
  error: string | null;
  currentTitle: string | null;
  currentVersion: string | null;
  targetTitle: string | null;
  targetVersion: string | null;
  targetTs: number | null;
}

export type DeviceOtaStatus = Record<PackageType, OtaKindStatus>;

export interface Progress {
  /** 0–100 along OTA_STEPS. */
  percent: number;
  color: 'gray' | 'blue' | 'green' | 'red';
  label: string;
}

/** Where `state` is on the way to UPDATED. */
export function otaProgress(state: string | null | undefined): Progress {
  if (!state) return { percent: 0, color: 'gray', label: 'No update' };
  if (state === 'FAILED') return { percent: 100, color: 'red', label: 'Failed' };
  const step = (OTA_STEPS as readonly string[]).indexOf(state);
  if (step < 0) return { percent: 0, color: 'gray', label: state };
  const percent = Math.round(((step + 1) / OTA_STEPS.length) * 100);
  const label = state.charAt(0) + state.slice(1).toLowerCase();
  return { percent, color: state === 'UPDATED' ? 'green' : 'blue', label };
}

/** Telemetry key prefix of a package type (`fw`, `sw`). */
export const prefixOf = (type: PackageType): 'fw' | 'sw' => (type === 'FIRMWARE' ? 'fw' : 'sw');

function text(latest: LatestTelemetry, key: string): string | null | undefined {
  const point = latest[key];
  if (point === undefined) return undefined;
  return point.value === null || point.value === '' ? null : String(point.value);
}

/**
 * `status` with what the device reported since: its state and error, and its current
 * title/version (`current_fw_title`, or plain `fw_title` as some SDKs send).
 */
export function withTelemetry(status: OtaKindStatus, type: PackageType, latest: LatestTelemetry): OtaKindStatus {
  const p = prefixOf(type);
  const pick = (...keys: string[]) => {
    for (const key of keys) {
      const value = text(latest, key);
      if (value !== undefined) return value;
    }
    return undefined;
  };
  /** The reported value (null when reported empty), else what the snapshot said. */
  const or = (found: string | null | undefined, before: string | null) => (found === undefined ? before : found);
  const target = latest[`target_${p}_ts`]?.value;
  return {
    ...status,
    state: or(pick(`${p}_state`), status.state),
    error: or(pick(`${p}_error`), status.error),
    currentTitle: or(pick(`current_${p}_title`, `${p}_title`), status.currentTitle),
    currentVersion: or(pick(`current_${p}_version`, `${p}_version`), status.currentVersion),
    targetTitle: or(pick(`target_${p}_title`), status.targetTitle),
    targetVersion: or(pick(`target_${p}_version`), status.targetVersion),
    targetTs: typeof target === 'number' ? target : status.targetTs,
  };
}

/** Whether the package shown is the device's own or its profile's. */
export function assignmentSource(ownId: string | null | undefined, effective: OtaPackageInfo | null): 'device' | 'profile' | 'none' {
  if (ownId) return 'device';
  return effective ? 'profile' : 'none';
}

export const deviceOtaStatus = (deviceId: string): Promise<DeviceOtaStatus> => api.get(`/api/ota/device/${deviceId}/status`);

/** Packages of `type` with content for the profile: the ones a device of it can be given. */
export async function assignablePackages(profileId: string, type: PackageType): Promise<OtaPackageInfo[]> {
  const page = await api.get<PageData<OtaPackageInfo>>(`/api/otaPackages/${profileId}/${type}`, {
    pageSize: 100,
    page: 0,
    sortProperty: 'createdTime',
    sortOrder: 'DESC',
  });
  return page.data;
}

export type OtaRef = EntityId<'OTA_PACKAGE'> | null;
