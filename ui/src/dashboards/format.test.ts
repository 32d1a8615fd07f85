import { describe, expect, it } from 'vitest';
import { formatReading, numeric } from './format';

describe('readings', () => {
  it('applies decimals and units', () => {
    expect(formatReading(21.456, 1, '°C')).toBe('21.5 °C');
    expect(formatReading('7', 2)).toBe('7.00');
    expect(formatReading('on')).toBe('on');
    expect(formatReading(undefined, 1, 'x')).toBe('–');
    expect(formatReading(true)).toBe('true');
  });
  it('reads numbers', () => {
    expect(numeric('3.5')).toBe(3.5);
    expect(numeric('abc')).toBeNull();
    expect(numeric(Infinity)).toBeNull();
  });
});
