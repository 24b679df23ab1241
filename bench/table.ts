/** How the benches print figures: quantiles, fixed digits and Markdown tables. */

/** The `q` quantile (nearest rank) of samples already sorted ascending. */
export const quantileOfSorted = (sorted: Float64Array | number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;

/** The `q` quantile (nearest rank) of samples in any order. */
export const quantile = (samples: number[], q: number): number =>
  quantileOfSorted(
    [...samples].sort((a, b) => a - b),
    q,
  );

/**
 * The median of the finite values (NaN when there is none), the middle two averaged for an even count:
 * `quantile(…, 0.5)` (nearest rank) takes the lower of the two, which for a ratio to a baseline favours the
 * server.
 */
export function median(values: number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length / 2;
  return Number.isInteger(mid)
    ? ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
    : (sorted[Math.floor(mid)] as number);
}

export const fixed = (n: number, digits: number): string => n.toFixed(digits);
export const thousands = (n: number): string => Math.round(n).toLocaleString('en-US');

/** A target cell: `≥ min met` or `≥ min MISSED`. */
export function meets(ratio: number, min: number): string {
  return `\u2265 ${min.toFixed(2)} ${ratio >= min ? 'met' : 'MISSED'}`;
}

/** A Markdown table, each column padded to its widest cell; `right[i]` aligns column `i` right. */
export function table(head: string[], rows: string[][], right: boolean[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (right[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (right[i] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(head), rule, ...rows.map(line)].join('\n');
}
