/** How values and times are shown. */

const units: Record<string, (v: number) => string> = {
  ratio: (v) => `${(v * 100).toFixed(1)} %`,
  bytes: (v) => bytes(v),
  'bytes/s': (v) => `${bytes(v)}/s`,
};

/** A value in its catalogue unit. */
export function formatValue(value: number | null | undefined, unit: string): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  const format = units[unit];
  return format ? format(value) : value.toFixed(2);
}

function bytes(v: number): string {
  const steps = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let n = v;
  while (Math.abs(n) >= 1000 && i < steps.length - 1) {
    n /= 1000;
    i += 1;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${steps[i]}`;
}

/** How long ago `iso` was, shortly (`12 s ago`, `3 min ago`). */
export function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

/** The smallest of the API's usual bucket widths giving at most `buckets` over `rangeMs`. */
export function resampleFor(rangeMs: number, buckets: number): { text: string; ms: number } {
  const steps: [string, number][] = [
    ['1s', 1],
    ['5s', 5],
    ['10s', 10],
    ['15s', 15],
    ['30s', 30],
    ['1m', 60],
    ['2m', 120],
    ['5m', 300],
    ['10m', 600],
    ['15m', 900],
    ['30m', 1800],
    ['1h', 3600],
    ['2h', 7200],
    ['6h', 21600],
    ['12h', 43200],
    ['1d', 86400],
  ];
  for (const [text, s] of steps) if (rangeMs / (s * 1000) <= buckets) return { text, ms: s * 1000 };
  return { text: '7d', ms: 7 * 86400_000 };
}

/** A `datetime-local` input's value for `ms` (local time). */
export function toLocalInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}
