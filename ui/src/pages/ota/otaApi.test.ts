import { describe, expect, it } from 'vitest';
import { formatSize } from './otaApi';

describe('package sizes', () => {
  it('reads as bytes, KiB or MiB', () => {
    expect(formatSize(undefined)).toBe('');
    expect(formatSize(512)).toBe('512 B');
    expect(formatSize(2048)).toBe('2.0 KiB');
    expect(formatSize(100 * 1024 * 1024)).toBe('100.0 MiB');
  });
});
