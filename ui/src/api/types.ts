/** Wire shapes of the ThingsBoard-compatible REST API (only the fields the UI reads). */

export type Authority = 'SYS_ADMIN' | 'TENANT_ADMIN' | 'CUSTOMER_USER';

export type EntityType =
  | 'TENANT'
  | 'CUSTOMER'
  | 'USER'
  | 'DEVICE'
  | 'ASSET'
  | 'DEVICE_PROFILE'
  | 'ASSET_PROFILE'
  | 'TENANT_PROFILE'
  | 'DASHBOARD';

export interface EntityId<T extends string = EntityType> {
  entityType: T;
  id: string;
}

/** The customer id of an entity that no customer owns. */
export const NULL_UUID = '13814000-1dd2-11b2-8080-808080808080';

export interface PageData<T> {
  data: T[];
  totalPages: number;
  totalElements: number;
  hasNext: boolean;
}

export interface JwtPair {
  token: string;
  refreshToken: string;
}

export interface User {
  id: EntityId<'USER'>;
  email: string;
  authority: Authority;
  firstName?: string | null;
  lastName?: string | null;
  tenantId?: EntityId<'TENANT'> | null;
  customerId?: EntityId<'CUSTOMER'> | null;
  createdTime?: number;
}

export interface Device {
  id?: EntityId<'DEVICE'>;
  createdTime?: number;
  name: string;
  type?: string;
  label?: string | null;
  tenantId?: EntityId<'TENANT'>;
  customerId?: EntityId<'CUSTOMER'>;
  deviceProfileId?: EntityId<'DEVICE_PROFILE'> | null;
  additionalInfo?: { description?: string; gateway?: boolean } | null;
  version?: number | null;
}

export interface DeviceInfo extends Device {
  customerTitle?: string | null;
  customerIsPublic?: boolean;
  deviceProfileName?: string | null;
  active?: boolean;
}

export type CredentialsType = 'ACCESS_TOKEN' | 'X509_CERTIFICATE' | 'MQTT_BASIC';

export interface DeviceCredentials {
  id: { id: string };
  deviceId: EntityId<'DEVICE'>;
  credentialsType: CredentialsType | 'LWM2M_CREDENTIALS';
  credentialsId: string | null;
  credentialsValue: string | null;
  version?: number | null;
}

export interface Named {
  id: EntityId;
  createdTime?: number;
  name?: string;
  title?: string;
  [field: string]: unknown;
}

export type AttributeScope = 'SERVER_SCOPE' | 'SHARED_SCOPE' | 'CLIENT_SCOPE';

export interface AttributeEntry {
  key: string;
  value: unknown;
  lastUpdateTs: number;
}

/** Latest telemetry: key → newest point (values are strings unless strict types were asked for). */
export type LatestTelemetry = Record<string, { ts: number; value: unknown }>;

export interface EntityRelationInfo {
  from: EntityId;
  to: EntityId;
  type: string;
  typeGroup: string;
  fromName?: string;
  toName?: string;
}

export interface AuditLog {
  id: { id: string };
  createdTime: number;
  entityId?: EntityId | null;
  entityName?: string | null;
  userName?: string | null;
  actionType: string;
  actionStatus: 'SUCCESS' | 'FAILURE';
  actionFailureDetails?: string | null;
}
