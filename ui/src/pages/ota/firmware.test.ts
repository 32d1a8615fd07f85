import { describe, expect, it } from 'vitest';
import { assignmentSource, otaProgress, withTelemetry, type OtaKindStatus } from './firmware';

const blank: OtaKindStatus = {
  package: null,
  state: 'QUEUED',
  error: null,
  currentTitle: 'fw',
  currentVersion: '1.0',
  targetTitle: 'fw',
  targetVersion: '1.1',
  targetTs: 5,
};

describe('otaProgress', () => {
  it('walks from queued to updated', () => {
    expect(otaProgress('QUEUED')).toMatchObject({ color: 'blue', label: 'Queued' });
    expect(otaProgress('DOWNLOADING').percent).toBeLessThan(otaProgress('VERIFIED').percent);
    expect(otaProgress('UPDATED')).toEqual({ percent: 100, color: 'green', label: 'Updated' });
  });
  it('shows failure, nothing and unknown states plainly', () => {
    expect(otaProgress('FAILED')).toMatchObject({ color: 'red', label: 'Failed' });
    expect(otaProgress(null)).toEqual({ percent: 0, color: 'gray', label: 'No update' });
    expect(otaProgress('ROLLING_BACK')).toEqual({ percent: 0, color: 'gray', label: 'ROLLING_BACK' });
  });
});

describe('withTelemetry', () => {
  it('takes the state, error and reported versions the device sent since', () => {
    const live = withTelemetry(blank, 'FIRMWARE', {
      fw_state: { ts: 1, value: 'FAILED' },
      fw_error: { ts: 1, value: 'checksum mismatch' },
      current_fw_version: { ts: 1, value: '1.0.1' },
      sw_state: { ts: 1, value: 'UPDATED' },
    });
    expect(live).toMatchObject({ state: 'FAILED', error: 'checksum mismatch', currentVersion: '1.0.1', currentTitle: 'fw' });
  });
  it('reads plain fw_title/fw_version when current_* is missing, and software keys for software', () => {
    const fw = withTelemetry(blank, 'FIRMWARE', { fw_title: { ts: 1, value: 'other' }, fw_version: { ts: 1, value: 2 } });
    expect([fw.currentTitle, fw.currentVersion]).toEqual(['other', '2']);
    const sw = withTelemetry({ ...blank, state: null }, 'SOFTWARE', { fw_state: { ts: 1, value: 'UPDATED' }, sw_state: { ts: 1, value: 'DOWNLOADING' } });
    expect(sw.state).toBe('DOWNLOADING');
  });
  it('clears an error the device reported empty', () => {
    expect(withTelemetry({ ...blank, error: 'old' }, 'FIRMWARE', { fw_error: { ts: 2, value: '' } }).error).toBeNull();
  });
});

describe('assignmentSource', () => {
  it('tells a device package from an inherited one', () => {
    const pkg = { deviceProfileId: { id: 'p' }, type: 'FIRMWARE' as const, title: 't', version: '1' };
    expect(assignmentSource('x', pkg)).toBe('device');
    expect(assignmentSource(null, pkg)).toBe('profile');
    expect(assignmentSource(undefined, null)).toBe('none');
  });
});
