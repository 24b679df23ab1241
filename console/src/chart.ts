import uPlot from 'uplot';
import { h } from './dom.js';
import { formatValue } from './format.js';

/** One line of a chart: its key (`METRIC` or `METRIC|core`) and label. */
export interface Line {
  key: string;
  label: string;
}

/** The one time axis of the lines that have points, when they all have the same; else null. */
function sharedTimes(given: readonly ({ time: number[] } | undefined)[]): number[] | null {
  let times: number[] | undefined;
  for (const s of given) {
    if (!s || s.time.length === 0) continue;
    if (!times) times = s.time;
    else if (s.time !== times) {
      if (s.time.length !== times.length) return null;
      for (let i = 0; i < times.length; i += 1) if (s.time[i] !== times[i]) return null;
    }
  }
  return times ?? null;
}

const PALETTE = ['#2f7ed8', '#e4572e', '#29a36a', '#b07aa1', '#f0a202', '#17a2b8', '#8c564b', '#7f7f7f'];

/**
 * A uPlot time-series chart in a `<figure>`: hover values in the legend, zoom by dragging across (double
 * click resets). `data-points` on the figure counts the first line's drawn points; each draw marks
 * `chart-drawn:<title>` so that tests and the note can time it.
 */
export class Chart {
  readonly figure: HTMLElement;
  private readonly plot: uPlot;
  private readonly index = new Map<string, number>();
  private times: number[] = [];
  private columns: (number | null)[][];
  /** The range asked for (s): the x axis shows all of it, not only where there are points. */
  private window: { from: number; to: number } | undefined;

  constructor(
    readonly title: string,
    readonly unit: string,
    readonly lines: readonly Line[],
    width: number,
  ) {
    this.figure = h('figure', { class: 'chart', 'data-title': title, 'data-points': 0 });
    this.figure.append(h('figcaption', {}, title));
    const ink = getComputedStyle(document.body).color;
    const grid = 'rgba(128,128,128,0.2)';
    for (const [i, line] of lines.entries()) this.index.set(line.key, i);
    this.columns = lines.map(() => []);
    const opts: uPlot.Options = {
      width,
      height: 220,
      scales: { x: { time: true } },
      cursor: { drag: { x: true, y: false, setScale: true } },
      legend: { live: true },
      axes: [
        { stroke: ink, grid: { stroke: grid } },
        {
          stroke: ink,
          grid: { stroke: grid },
          size: 70,
          values: (_u, ticks) => ticks.map((t) => formatValue(t, unit)),
        },
      ],
      series: [
        {},
        ...lines.map((line, i) => ({
          label: line.label,
          stroke: PALETTE[i % PALETTE.length],
          width: line.key.includes('|') ? 1 : 2,
          spanGaps: false,
          value: (_u: uPlot, v: number | null) => formatValue(v, unit),
        })),
      ],
      hooks: {
        draw: [() => performance.mark(`chart-drawn:${title}`)],
      },
    };
    this.plot = new uPlot(opts, [[], ...lines.map(() => [])], this.figure);
  }

  /**
   * Replaces the data: `series` by line key, each with ascending bucket starts (s) and values. The lines'
   * times are merged into one axis (a typed sort, then one pass per line), nulls where a line has no bucket.
   */
  setSeries(
    series: ReadonlyMap<string, { time: number[]; value: (number | null)[] }>,
    window?: { from: number; to: number },
  ): void {
    this.window = window ? { from: window.from / 1000, to: window.to / 1000 } : undefined;
    const given = this.lines.map((line) => series.get(line.key));
    const shared = sharedTimes(given);
    if (shared) {
      // Usually every line has the same buckets (one client's windows carry every series): no merge.
      this.times = shared;
      this.columns = given.map((s) =>
        s && s.time.length > 0 ? s.value : new Array(shared.length).fill(null),
      );
      this.draw();
      return;
    }
    let total = 0;
    for (const s of given) total += s?.time.length ?? 0;
    const all = new Float64Array(total);
    let n = 0;
    for (const s of given) if (s) for (const t of s.time) all[n++] = t;
    all.sort();
    const times: number[] = [];
    for (let i = 0; i < all.length; i += 1)
      if (i === 0 || all[i] !== all[i - 1]) times.push(all[i] as number);
    this.times = times;
    this.columns = given.map((s) => {
      const column: (number | null)[] = new Array(times.length).fill(null);
      if (!s) return column;
      let j = 0;
      for (let i = 0; i < s.time.length; i += 1) {
        const t = s.time[i] as number;
        while (times[j] !== t) j += 1;
        column[j] = s.value[i] ?? null;
      }
      return column;
    });
    this.draw();
  }

  /** Adds (or, for the bucket already last, replaces) the values of bucket `time` (s) by line key. */
  append(time: number, values: ReadonlyMap<string, number>): void {
    const last = this.times.at(-1);
    if (last !== undefined && time < last) return;
    if (time !== last) {
      this.times.push(time);
      for (const column of this.columns) column.push(null);
    }
    // A live window past the range's end slides the range along.
    let slid = false;
    if (this.window && time >= this.window.to) {
      const span = this.window.to - this.window.from;
      this.window = { from: time + 1 - span, to: time + 1 };
      slid = true;
    }
    const row = this.times.length - 1;
    for (const [key, value] of values) {
      const i = this.index.get(key);
      const column = i === undefined ? undefined : this.columns[i];
      if (column) column[row] = value;
    }
    this.draw(true, slid);
  }

  resize(width: number): void {
    this.plot.setSize({ width, height: 220 });
  }

  destroy(): void {
    this.plot.destroy();
  }

  private draw(live = false, slid = false): void {
    // Live appends keep the scales (a zoom stays); a new range, or a window sliding it, sets them.
    this.plot.setData([this.times, ...this.columns] as uPlot.AlignedData, !live);
    if (this.window && (!live || slid))
      this.plot.setScale('x', { min: this.window.from, max: this.window.to });
    const first = this.columns[0] ?? [];
    this.figure.dataset.points = String(first.reduce((n: number, v) => (v === null ? n : n + 1), 0));
  }
}
