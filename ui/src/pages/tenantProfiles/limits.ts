/**
 * The tenant profile limits the backend enforces (industryos/entities/models: LIMIT_KEYS and
 * default_tenant_profile_data): rate limits as `capacity:seconds[,…]`, counts with 0 for none.
 */

export const RATE_LIMITS = [
  ['transportTenantMsgRateLimit', 'Tenant messages'],
  ['transportTenantTelemetryMsgRateLimit', 'Tenant telemetry messages'],
  ['transportTenantTelemetryDataPointsRateLimit', 'Tenant telemetry data points'],
  ['transportDeviceMsgRateLimit', 'Device messages'],
  ['transportDeviceTelemetryMsgRateLimit', 'Device telemetry messages'],
  ['transportDeviceTelemetryDataPointsRateLimit', 'Device telemetry data points'],
] as const;

export const COUNTS = [
  ['maxDevices', 'Max devices'],
  ['maxAssets', 'Max assets'],
  ['maxCustomers', 'Max customers'],
  ['maxUsers', 'Max users'],
] as const;

const WINDOW = /^\d+:\d+(\.\d+)?$/;

/** Whether `value` is empty (no limit) or a list of `capacity:seconds` windows. */
export function validRateLimit(value: string): boolean {
  const trimmed = value.trim();
  return trimmed === '' || trimmed.split(',').every((w) => WINDOW.test(w.trim()));
}
