/** Bulk device operations (`/api/devices/bulk/*`): each id succeeds or fails on its own. */

import { api } from '../../api/instance';
import type { BulkResult } from '../../components/bulk';

export const bulkAssignDevices = (deviceIds: string[], customerId: string): Promise<BulkResult> =>
  api.post('/api/devices/bulk/assign', { customerId, deviceIds });

export const bulkUnassignDevices = (deviceIds: string[]): Promise<BulkResult> => api.post('/api/devices/bulk/unassign', { deviceIds });

export const bulkDeleteDevices = (deviceIds: string[]): Promise<BulkResult> => api.post('/api/devices/bulk/delete', { deviceIds });
