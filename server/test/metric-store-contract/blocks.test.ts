/**
 * The block table (server/src/metrics/sqlite/blocks.ts) against a model, a map per series of start →
 * window, under a seeded random sequence of writes, removes, deletes and reads; and the table's invariants
 * read from its rows after every operation that changes them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BLOCK_WINDOWS, BLOCKS_TABLE, Blocks, WINDOW_NUMBERS } from '../../src/metrics/sqlite/blocks.js';
import { type Db, openDatabase } from '../../src/sqlite/database.js';
import { random } from '../helpers.js';

const T0 = 1_700_000_000_000;
const STEP = 10_000;
const WINDOW_BYTES = WINDOW_NUMBERS * 8;
type Window = number[];

let dir: string;
let db: Db;
let blocks: Blocks;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mc-blocks-'));
  db = openDatabase(dir, 'metrics', [BLOCKS_TABLE]);
  // Every step commits on its own: an fsync each would double the run, and durability is not tested here.
  db.pragma('synchronous = OFF');
  blocks = new Blocks(db);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What the table should hold: each series' windows by start. */
class Model {
  readonly series = new Map<number, Map<number, Window>>();
  /** Each series' windows in order of start, packed as the table stores them, until the series changes. */
  readonly #packed = new Map<number, Float64Array>();

  write(series: number, windows: Window[]): void {
    const stored = this.series.get(series) ?? new Map<number, Window>();
    for (const w of windows) stored.set(w[0] as number, w);
    this.series.set(series, stored);
    this.#packed.delete(series);
  }
  packed(series: number): Float64Array {
    let packed = this.#packed.get(series);
    if (!packed) {
      const stored = this.series.get(series) ?? new Map<number, Window>();
      const starts = [...stored.keys()].sort((a, b) => a - b);
      packed = new Float64Array(starts.length * WINDOW_NUMBERS);
      for (const [i, start] of starts.entries()) packed.set(stored.get(start) as Window, i * WINDOW_NUMBERS);
      this.#packed.set(series, packed);
    }
    return packed;
  }
  count(series: number): number {
    return this.packed(series).length / WINDOW_NUMBERS;
  }
  /** The start of the series' `i`-th window (`at` counts from the end when negative). */
  startAt(series: number, i: number): number | undefined {
    return this.packed(series).at(i * WINDOW_NUMBERS);
  }
  read(series: number, from: number, to: number): number[] {
    const packed = this.packed(series);
    const numbers: number[] = [];
    for (let o = 0; o < packed.length; o += WINDOW_NUMBERS) {
      const start = packed[o] as number;
      if (start >= from && start < to) numbers.push(...packed.subarray(o, o + WINDOW_NUMBERS));
    }
    return numbers;
  }
  remove(series: number, start: number): boolean {
    this.#packed.delete(series);
    return this.series.get(series)?.delete(start) ?? false;
  }
  deleteBefore(cutoff: number): number {
    this.#packed.clear();
    let removed = 0;
    for (const stored of this.series.values())
      for (const start of [...stored.keys()]) if (start < cutoff) removed += Number(stored.delete(start));
    return removed;
  }
  newest(): number | null {
    const lasts = [...this.series.keys()].flatMap((s) => this.startAt(s, -1) ?? []);
    return lasts.length > 0 ? Math.max(...lasts) : null;
  }
}

type Row = { rowid: number; series_id: number; block_start: number; block_end: number; data: Buffer };
const ROWS =
  'SELECT rowid, series_id, block_start, block_end, data FROM blocks ORDER BY series_id, block_start';
const rows = () => db.prepare(ROWS).all() as Row[];
/** A blob's windows (copied: a test must not depend on the blob's alignment). */
const windowsOf = (data: Buffer) => new Float64Array(new Uint8Array(data).buffer);
const pack = (windows: Window[]) => new Float64Array(windows.flat());
const windowAt = (start: number, next: () => number): Window => {
  const [a, b, count, variance] = [next() * 100, next() * 100, 1 + Math.floor(next() * 20), next() * 10];
  return [start, start + STEP, count, (a + b) / 2, variance, Math.min(a, b), Math.max(a, b)];
};

/** `actual` is `expected` number for number: compared by a loop, by vitest only to show a difference. */
function expectNumbers(actual: ArrayLike<number>, expected: number[]): void {
  if (actual.length !== expected.length || !expected.every((v, i) => Object.is(v, actual[i])))
    expect(Array.from(actual)).toEqual(expected);
}

/**
 * The table's invariants: blocks of 1 to BLOCK_WINDOWS windows in increasing order of start, their key
 * and `block_end` those of their first and last window, a series' blocks apart; and every series' windows
 * those of the model, byte for byte. Returns the blocks' sizes.
 */
function checkTable(model: Model): number[] {
  const problems: string[] = [];
  const sizes: number[] = [];
  const seen = new Map<number, number>(); // windows met per series
  let previous: Row | undefined;
  for (const row of rows()) {
    const block = `series ${row.series_id} block ${row.block_start}`;
    const numbers = windowsOf(row.data);
    const n = numbers.length / WINDOW_NUMBERS;
    const startOf = (i: number) => numbers[i * WINDOW_NUMBERS] as number;
    sizes.push(n);
    if (!Number.isInteger(n) || n < 1 || n > BLOCK_WINDOWS) problems.push(`${block}: ${n} windows`);
    if (row.block_start !== startOf(0) || row.block_end !== startOf(n - 1))
      problems.push(`${block}: ends at ${row.block_end}, its windows at ${startOf(0)} to ${startOf(n - 1)}`);
    if (previous?.series_id === row.series_id && row.block_start <= previous.block_end)
      problems.push(`${block}: overlaps the block before`);
    const expected = model.packed(row.series_id);
    const first = seen.get(row.series_id) ?? 0;
    const from = Math.min(first * WINDOW_BYTES, expected.byteLength);
    const length = Math.min(row.data.byteLength, expected.byteLength - from);
    if (!row.data.equals(Buffer.from(expected.buffer, from, length)))
      problems.push(`${block}: windows ${first} to ${first + n - 1} of the series are not the model's`);
    seen.set(row.series_id, first + n);
    previous = row;
  }
  for (const s of model.series.keys())
    if ((seen.get(s) ?? 0) !== model.count(s))
      problems.push(`series ${s}: ${seen.get(s) ?? 0} windows stored, ${model.count(s)} in the model`);
  expect(problems).toEqual([]);
  return sizes;
}

/** The rows as text (blobs in base64): vitest compares strings fast, and shows a difference readably. */
const rowTexts = () =>
  rows().map((r) => `${r.rowid} ${r.series_id} ${r.block_start} ${r.block_end} ${r.data.toString('base64')}`);

/** Writes an append of `windows` to `series`, checking that it left every stored row as it was. */
function appendUnchanged(series: number, windows: Window[]): void {
  const before = rowTexts();
  blocks.write(series, pack(windows));
  const after = rowTexts();
  const kept = new Set(before);
  expect(after.filter((r) => kept.has(r))).toEqual(before);
  expect(after.length - before.length).toBe(Math.ceil(windows.length / BLOCK_WINDOWS));
}

/** The operations of the random sequence, and how often each comes (of 100). */
const OPERATIONS = { append: 25, overlap: 15, single: 10, sparse: 5, remove: 10, deleteBefore: 3, read: 32 };
function operation(roll: number): keyof typeof OPERATIONS {
  let left = roll * 100;
  for (const [kind, weight] of Object.entries(OPERATIONS)) {
    left -= weight;
    if (left < 0) return kind as keyof typeof OPERATIONS;
  }
  return 'read';
}

describe('SQLite store: windows packed in blocks', () => {
  it('is empty before any write', () => {
    expect(blocks.read(1, -Infinity, Infinity)).toEqual(new Float64Array(0));
    expect(blocks.newestStart()).toBeNull();
    expect(blocks.remove(1, T0)).toBe(false);
    expect(blocks.deleteBefore(T0)).toBe(0);
    blocks.write(1, new Float64Array(0));
    expect(rows()).toEqual([]);
  });

  it('rejects windows out of order, repeated or cut short', () => {
    const next = random(1);
    const [a, b] = [windowAt(T0, next), windowAt(T0 + STEP, next)];
    expect(() => blocks.write(1, pack([b, a]))).toThrow(/increase/);
    expect(() => blocks.write(1, pack([a, a]))).toThrow(/increase/);
    expect(() => blocks.write(1, pack([a]).subarray(1))).toThrow(/whole windows/);
    expect(rows()).toEqual([]);
  });

  it('appends as new blocks, leaving a short last block as it is', () => {
    const next = random(2);
    const run = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => windowAt(T0 + (from + i) * STEP, next));
    appendUnchanged(7, run(0, 600));
    appendUnchanged(7, run(600, 60));
    appendUnchanged(7, run(700, 1));
    expect(rows().map((r) => r.block_end - r.block_start)).toEqual(
      [199, 199, 199, 59, 0].map((n) => n * STEP),
    );
    expect(blocks.read(7, T0 + 150 * STEP, T0 + 650 * STEP).length).toBe(500 * WINDOW_NUMBERS);
    expect(blocks.newestStart()).toBe(T0 + 700 * STEP);
  });

  it('replaces re-sent windows, the newer copy winning, and rewrites only the blocks they fall in', () => {
    const next = random(3);
    const model = new Model();
    const windows = Array.from({ length: 1_000 }, (_, i) => windowAt(T0 + i * STEP, next));
    for (let i = 0; i < windows.length; i += 100) {
      blocks.write(1, pack(windows.slice(i, i + 100)));
      model.write(1, windows.slice(i, i + 100));
    }
    const before = rowTexts();
    // One window late (in the second block), one re-sent (in the ninth), and new ones after the last.
    const late = [windowAt(T0 + 150 * STEP + 1, next), windowAt(T0 + 820 * STEP, next)];
    const later = Array.from({ length: 5 }, (_, i) => windowAt(T0 + (1_000 + i) * STEP, next));
    blocks.write(1, pack([...late, ...later]));
    model.write(1, [...late, ...later]);
    checkTable(model);
    const rewritten = [100, 800].map((i) => ` 1 ${T0 + i * STEP} `);
    const untouched = before.filter((r) => !rewritten.some((key) => r.includes(key)));
    expect(untouched.length).toBe(before.length - 2);
    expect(rowTexts().filter((r) => untouched.includes(r))).toEqual(untouched);
    expect(blocks.read(1, T0 + 820 * STEP, T0 + 821 * STEP)).toEqual(pack([late[1] as Window]));
  });

  it('removes a window, rewriting its block, or deleting the block with its last window', () => {
    const next = random(5);
    const model = new Model();
    const windows = Array.from({ length: 10 }, (_, i) => windowAt(T0 + i * STEP, next));
    for (const part of [windows.slice(0, 9), windows.slice(9)]) {
      blocks.write(1, pack(part));
      model.write(1, part);
    }
    for (const i of [0, 8, 4, 9]) {
      expect(blocks.remove(1, T0 + i * STEP)).toBe(true);
      model.remove(1, T0 + i * STEP);
      checkTable(model);
    }
    expect(rows().map((r) => [r.block_start, r.block_end])).toEqual([[T0 + STEP, T0 + 7 * STEP]]);
    for (const start of [T0, T0 + 4 * STEP, T0 + 3 * STEP + 1, T0 + 9 * STEP])
      expect(blocks.remove(1, start)).toBe(false);
    expect(blocks.remove(2, T0 + STEP)).toBe(false);
    checkTable(model);
  });

  it("writes in the caller's transaction, and deletes in a savepoint of it", () => {
    const next = random(6);
    const windows = Array.from({ length: 300 }, (_, i) => windowAt(T0 + i * STEP, next));
    const failing = (work: () => void) =>
      db.transaction(() => {
        work();
        throw new Error('rolled back');
      });
    expect(failing(() => blocks.write(1, pack(windows)))).toThrow('rolled back');
    expect(rows()).toEqual([]);
    blocks.write(1, pack(windows));
    const before = rowTexts();
    expect(failing(() => expect(blocks.deleteBefore(T0 + 200 * STEP)).toBe(200))).toThrow('rolled back');
    expect(rowTexts()).toEqual(before);
  });

  it('deletes before a cutoff whole blocks and the windows of the blocks straddling it', () => {
    const next = random(4);
    const model = new Model();
    for (const series of [1, 2, 3]) {
      const windows = Array.from({ length: 300 * series }, (_, i) => windowAt(T0 + i * series * STEP, next));
      blocks.write(series, pack(windows));
      model.write(series, windows);
    }
    const cutoff = T0 + 400 * STEP + 1;
    expect(blocks.deleteBefore(cutoff)).toBe(model.deleteBefore(cutoff));
    checkTable(model);
    expect(blocks.newestStart()).toBe(model.newest());
    expect(blocks.deleteBefore(T0 + 10_000 * STEP)).toBe(model.deleteBefore(T0 + 10_000 * STEP));
    expect(rows()).toEqual([]);
    expect(blocks.newestStart()).toBeNull();
  });

  it('answers as the model under a random sequence of writes, removes, deletes and reads', () => {
    const next = random(20_240_601);
    const model = new Model();
    const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] as T;
    const int = (below: number) => Math.floor(next() * below);
    const series = [1, 2, 5, 9];
    /** A start near the series' stored range (10 % before it to 10 % after), on the 10-s grid or between. */
    const near = (s: number, span = 1.2, before = 0.1) => {
      const [lo, hi] = [model.startAt(s, 0) ?? T0, model.startAt(s, -1) ?? T0];
      const at = lo + Math.round(((hi - lo) * (next() * span - before)) / STEP) * STEP;
      return next() < 0.3 ? at + STEP / 2 : at;
    };
    /** Sorted, unique windows from `from` on, `n` of them, spaced by `spacing()`. */
    const run = (from: number, n: number, spacing: () => number) => {
      const windows: Window[] = [];
      for (let i = 0, start = from; i < n; i += 1, start += spacing()) windows.push(windowAt(start, next));
      return windows;
    };
    const counts: Record<string, number> = {};
    let most = 0;
    let full = 0;
    for (let op = 0; op < 1_500; op += 1) {
      const s = pick(series);
      const kind = operation(next());
      counts[kind] = (counts[kind] ?? 0) + 1;
      if (kind === 'append') {
        const last = model.startAt(s, -1) ?? T0;
        const windows = run(last + STEP * (1 + int(3)), 1 + int(next() < 0.15 ? 600 : 60), () => STEP);
        appendUnchanged(s, windows);
        model.write(s, windows);
      } else if (kind === 'overlap' || kind === 'single' || kind === 'sparse') {
        const n = kind === 'single' ? 1 : kind === 'sparse' ? 2 + int(4) : 1 + int(300);
        const spacing =
          kind === 'sparse' ? () => (1 + int(200)) * STEP : () => pick([STEP / 2, STEP, 3 * STEP]);
        const windows = run(near(s), n, spacing);
        blocks.write(s, pack(windows));
        model.write(s, windows);
      } else if (kind === 'remove') {
        // A stored window, the series' last (often a block's only one), or one not stored.
        const roll = next();
        const start = roll < 0.7 ? model.startAt(s, roll < 0.5 ? int(model.count(s)) : -1) : near(s) + 1;
        expect(blocks.remove(s, start ?? T0)).toBe(model.remove(s, start ?? T0));
      } else if (kind === 'deleteBefore') {
        // In the first third of the series' range: retention trims the oldest part, not most of the data.
        const cutoff = near(s, 0.3, 0) + pick([0, 1, -1]);
        expect(blocks.deleteBefore(cutoff)).toBe(model.deleteBefore(cutoff));
      } else {
        const reader = next() < 0.1 ? 4 : s; // sometimes a series never written
        const from = near(s) + pick([0, 0, 1, -1]);
        const to = pick([from, from - STEP, from + STEP, from + int(40) * STEP, from + int(2_000) * STEP]);
        expectNumbers(blocks.read(reader, from, to), model.read(reader, from, to));
      }
      expect(blocks.newestStart()).toBe(model.newest());
      if (kind === 'read') continue; // nothing changed
      const sizes = checkTable(model);
      most = Math.max(most, sizes.length);
      full += sizes.filter((n) => n === BLOCK_WINDOWS).length;
    }
    // The sequence reached what it means to test: every operation often, many blocks, full ones.
    expect(Object.keys(counts).sort()).toEqual(Object.keys(OPERATIONS).sort());
    expect(Object.values(counts).every((n) => n >= 30)).toBe(true);
    expect(most).toBeGreaterThan(40);
    expect(full).toBeGreaterThan(0);
  });
});
