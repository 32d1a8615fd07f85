/** Device profiles (spec §2.2, §3.3): transport settings and alarm rules in `profileData`. */

import type { AlarmWire } from '../lib/alarmRules';
import type { PageLink } from '../lib/pageLink';
import { pageParams } from '../lib/pageLink';
import { api } from './instance';
import type { EntityId, PageData } from './types';

export const TRANSPORT_TYPES = ['DEFAULT', 'MQTT', 'COAP', 'LWM2M', 'SNMP'] as const;
export type TransportType = (typeof TRANSPORT_TYPES)[number];

export interface TransportConfiguration {
  type: string;
  deviceTelemetryTopic?: string;
  deviceAttributesTopic?: string;
  deviceAttributesSubscribeTopic?: string;
  sendAckOnValidationException?: boolean;
  transportPayloadTypeConfiguration?: { transportPayloadType: 'JSON' | 'PROTOBUF'; [field: string]: unknown };
  [field: string]: unknown;
}

export interface DeviceProfile {
  id?: EntityId<'DEVICE_PROFILE'>;
  createdTime?: number;
  name: string;
  description?: string | null;
  default?: boolean;
  type?: string;
  transportType: string;
  provisionType?: string;
  profileData: {
    configuration?: { type: string };
    transportConfiguration: TransportConfiguration;
    provisionConfiguration?: { type: string; [field: string]: unknown };
    alarms: AlarmWire[] | null;
    [field: string]: unknown;
  };
  version?: number | null;
  [field: string]: unknown;
}

export const deviceProfiles = (link: PageLink): Promise<PageData<DeviceProfile>> =>
  api.get('/api/deviceProfiles', pageParams(link));

export const deviceProfile = (id: string): Promise<DeviceProfile> => api.get(`/api/deviceProfile/${id}`);

export const saveDeviceProfile = (profile: DeviceProfile): Promise<DeviceProfile> =>
  api.post('/api/deviceProfile', profile);

export const deleteDeviceProfile = (id: string): Promise<void> => api.delete(`/api/deviceProfile/${id}`);

export const makeDefaultProfile = (id: string): Promise<DeviceProfile> =>
  api.post(`/api/deviceProfile/${id}/default`);

/** A new profile as the spec's default one is shaped (§2.2). */
export function blankProfile(name: string, description: string): DeviceProfile {
  return {
    name,
    description: description || null,
    type: 'DEFAULT',
    transportType: 'DEFAULT',
    provisionType: 'DISABLED',
    profileData: {
      configuration: { type: 'DEFAULT' },
      transportConfiguration: { type: 'DEFAULT' },
      provisionConfiguration: { type: 'DISABLED', provisionDeviceSecret: null },
      alarms: null,
    },
  };
}

export const MQTT_DEFAULTS: TransportConfiguration = {
  type: 'MQTT',
  deviceTelemetryTopic: 'v1/devices/me/telemetry',
  deviceAttributesTopic: 'v1/devices/me/attributes',
  deviceAttributesSubscribeTopic: 'v1/devices/me/attributes',
  sendAckOnValidationException: false,
  transportPayloadTypeConfiguration: { transportPayloadType: 'JSON' },
};
