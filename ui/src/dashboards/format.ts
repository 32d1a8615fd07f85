/** How widgets show values: numbers with the configured decimals and units. */

/** `21.456` with 1 decimal and "°C" → "21.5 °C"; text values as they are. */
export function formatReading(value: unknown, decimals?: number, units?: string): string {
  if (value === null || value === undefined || value === '') return '–';
  const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  let text: string;
  if (Number.isFinite(number) && typeof value !== 'boolean') {
    text = decimals !== undefined && decimals !== null && Number.isFinite(decimals) ? number.toFixed(Math.max(0, Math.min(10, decimals))) : String(number);
  } else {
    text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return units ? `${text} ${units}` : text;
}

/** A numeric reading, or null when the value is not a number. */
export function numeric(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}
