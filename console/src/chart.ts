import uPlot from 'uplot';
import { h } from './dom.js';
import { formatValue } from './format.js';

/** One line of a chart: its key (`METRIC` or `METRIC|core`) and label. */
export interface Line {
  key: string;
  label: string;
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
  private columns: (number | null)[][] = [];

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

  /** Replaces the data: `series` by line key, each with bucket starts (s) and values. */
  setSeries(series: ReadonlyMap<string, { time: number[]; value: (number | null)[] }>): void {
    const all = new Set<number>();
    for (const line of this.lines) for (const t of series.get(line.key)?.time ?? []) all.add(t);
    this.times = [...all].sort((a, b) => a - b);
    const at = new Map(this.times.map((t, i) => [t, i]));
    this.columns = this.lines.map((line) => {
      const column: (number | null)[] = new Array(this.times.length).fill(null);
      const s = series.get(line.key);
      s?.time.forEach((t, i) => {
        column[at.get(t) as number] = s.value[i] ?? null;
      });
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
    const row = this.times.length - 1;
    for (const [key, value] of values) {
      const i = this.index.get(key);
      const column = i === undefined ? undefined : this.columns[i];
      if (column) column[row] = value;
    }
    this.draw();
  }

  resize(width: number): void {
    this.plot.setSize({ width, height: 220 });
  }

  destroy(): void {
    this.plot.destroy();
  }

  private draw(): void {
    this.plot.setData([this.times, ...this.columns] as uPlot.AlignedData);
    const first = this.columns[0] ?? [];
    this.figure.dataset.points = String(first.reduce((n: number, v) => (v === null ? n : n + 1), 0));
  }
}
