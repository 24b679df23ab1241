import type { Aggregate, ClientFieldsFragment, MetricsQuery } from '@metrics-collector/sdk';
import { describe, follow, histories, type Range, type SeriesRequest } from '../api.js';
import { Chart, type Line } from '../chart.js';
import { h, labelled, replace, select } from '../dom.js';
import { ago, resampleFor, toLocalInput } from '../format.js';
import type { Page } from '../page.js';

const PRESETS: [string, number][] = [
  ['15m', 15 * 60_000],
  ['1h', 3600_000],
  ['6h', 6 * 3600_000],
  ['24h', 24 * 3600_000],
  ['7d', 7 * 86400_000],
];
const AGGREGATES: [Aggregate, string][] = [
  ['MEAN', 'Mean'],
  ['MAX', 'Max'],
  ['P95', 'P95'],
  ['P99', 'P99'],
  ['MEDIAN', 'Median'],
  ['MIN', 'Min'],
];
const RESAMPLES = ['auto', '10s', '1m', '5m', '15m', '1h'];
const MAX_CORE_LINES = 64;
/** Buckets per line the page asks for at most: a week at one minute (10,080), with room. */
const MAX_BUCKETS = 20_160;

type Catalogue = MetricsQuery['metrics'];

/** The charts of one client: a chart per kind and unit of the catalogue, per-core lines included. */
function chartPlan(
  catalogue: Catalogue,
  client: ClientFieldsFragment,
): { title: string; unit: string; lines: Line[] }[] {
  const groups = new Map<string, { title: string; unit: string; lines: Line[] }>();
  const cores = Math.min(client.coreCount ?? 0, MAX_CORE_LINES);
  for (const m of catalogue) {
    const id = `${m.kind} (${m.unit})`;
    let group = groups.get(id);
    if (!group) {
      group = { title: id, unit: m.unit, lines: [] };
      groups.set(id, group);
    }
    if (m.perCore) {
      for (let core = 0; core < cores; core += 1)
        group.lines.push({ key: `${m.metric}|${core}`, label: `${m.metric} core ${core}` });
    } else group.lines.push({ key: m.metric, label: m.metric });
  }
  return [...groups.values()].filter((g) => g.lines.length > 0);
}

/** One client's charts: range presets or a custom range, aggregate, resample, live windows appended. */
export const hostPage: Page = (session, main, signal, [clientId = '']) => {
  const { client } = session;
  const state = {
    preset: '1h' as string | null,
    from: 0,
    to: 0,
    aggregate: 'MEAN' as Aggregate,
    resample: 'auto',
  };
  const note = h('p', { role: 'status', class: 'note' }, 'Loading…');
  const heading = h('h1', {}, clientId);
  const details = h('p', { class: 'details' });
  const chartsBox = h('div', { class: 'charts' });
  const resampleNote = h('span', { class: 'resample' });
  let charts: Chart[] = [];
  let range: Range | undefined;
  let loading = 0;
  signal.addEventListener('abort', () => {
    for (const chart of charts) chart.destroy();
  });

  const presetButtons = PRESETS.map(([name]) => {
    const button = h('button', { type: 'button', 'aria-pressed': String(name === state.preset) }, name);
    button.addEventListener('click', () => {
      state.preset = name;
      void load();
    });
    return button;
  });
  const fromInput = h('input', { type: 'datetime-local', 'aria-label': 'From' });
  const toInput = h('input', { type: 'datetime-local', 'aria-label': 'To' });
  const custom = h(
    'form',
    { class: 'custom', 'aria-label': 'Custom range' },
    labelled('From', fromInput),
    labelled('To', toInput),
    h('button', { type: 'submit' }, 'Apply range'),
  );
  custom.addEventListener('submit', (event) => {
    event.preventDefault();
    const from = Date.parse(fromInput.value);
    const to = Date.parse(toInput.value);
    if (!(from < to)) {
      note.textContent = 'The custom range needs From before To.';
      return;
    }
    Object.assign(state, { preset: null, from, to });
    void load();
  });
  const controls = h(
    'div',
    { class: 'controls' },
    h('div', { role: 'group', 'aria-label': 'Time range', class: 'presets' }, ...presetButtons),
    custom,
    labelled(
      'Aggregate',
      select('Aggregate', AGGREGATES, state.aggregate, (v) => {
        state.aggregate = v as Aggregate;
        void load();
      }),
    ),
    labelled(
      'Resample',
      select(
        'Resample',
        RESAMPLES.map((r) => [r, r === 'auto' ? 'auto (range ÷ width)' : r] as const),
        'auto',
        (v) => {
          state.resample = v;
          void load();
        },
      ),
    ),
    resampleNote,
  );
  replace(main, h('p', {}, h('a', { href: '#/' }, '← Fleet')), heading, details, controls, note, chartsBox);

  const width = () => Math.max(320, Math.min(chartsBox.clientWidth || main.clientWidth, 1400) - 16);

  async function load(): Promise<void> {
    const mine = ++loading;
    for (const [i, b] of presetButtons.entries())
      b.setAttribute('aria-pressed', String(PRESETS[i]?.[0] === state.preset));
    const to = state.preset ? Date.now() : state.to;
    const from = state.preset
      ? to - (PRESETS.find(([n]) => n === state.preset)?.[1] ?? 3600_000)
      : state.from;
    fromInput.value = toLocalInput(from);
    toInput.value = toLocalInput(to);
    const auto = resampleFor(to - from, width());
    const resample =
      state.resample === 'auto' ? auto : { text: state.resample, ms: durationMs(state.resample) };
    if ((to - from) / resample.ms > MAX_BUCKETS) {
      note.textContent = `${resample.text} buckets over this range are more than ${MAX_BUCKETS} a line: choose a coarser resample.`;
      return;
    }
    range = { from, to, resample: resample.text, resampleMs: resample.ms, aggregate: state.aggregate };
    resampleNote.textContent = `Buckets of ${resample.text}`;
    note.textContent = 'Loading…';
    try {
      const series: SeriesRequest[] = charts.flatMap((chart) =>
        chart.lines.map((line) => {
          const [metric, core] = line.key.split('|');
          return {
            key: line.key,
            metric: metric as SeriesRequest['metric'],
            clientId,
            core: core === undefined ? undefined : Number(core),
          };
        }),
      );
      const got = await histories(client, series, range);
      if (mine !== loading || signal.aborted) return;
      performance.mark('host-data');
      for (const chart of charts) chart.setSeries(got, range);
      performance.measure('host-draw', 'host-data');
      note.textContent = '';
    } catch (error) {
      if (mine === loading && !signal.aborted) note.textContent = describe(error);
    }
  }

  void (async () => {
    try {
      const [info, catalogue] = await Promise.all([client.client(clientId), client.metrics()]);
      if (signal.aborted) return;
      if (!info) {
        note.textContent = `No client ${clientId}.`;
        return;
      }
      heading.textContent = info.hostname ?? info.id;
      details.textContent = `${info.id} · ${[info.osType, info.osVersion].filter(Boolean).join(' ') || 'OS unknown'} · ${info.coreCount ?? '?'} cores · last report ${ago(info.lastSeen)}`;
      charts = chartPlan(catalogue, info).map(
        (plan) => new Chart(plan.title, plan.unit, plan.lines, width()),
      );
      chartsBox.replaceChildren(...charts.map((c) => c.figure));
      await load();
    } catch (error) {
      if (!signal.aborted) note.textContent = describe(error);
    }
  })();

  let resizing: ReturnType<typeof setTimeout> | undefined;
  const onResize = () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => {
      for (const chart of charts) chart.resize(width());
    }, 150);
  };
  window.addEventListener('resize', onResize);
  signal.addEventListener('abort', () => window.removeEventListener('resize', onResize));

  follow(
    client.subscriptions.metricReported({ clientId }),
    signal,
    (event) => {
      if (!range || !state.preset) return; // a custom range stays as chosen
      const time = Math.floor(Date.parse(event.windowStart) / range.resampleMs) * (range.resampleMs / 1000);
      const values = new Map<string, number>();
      for (const stat of event.stats) {
        const key =
          stat.core === null || stat.core === undefined ? stat.metric : `${stat.metric}|${stat.core}`;
        values.set(
          key,
          state.aggregate === 'MAX' ? stat.max : state.aggregate === 'MIN' ? stat.min : stat.mean,
        );
      }
      for (const chart of charts) chart.append(time, values);
      performance.mark(`host-live:${event.windowEnd}`);
    },
    (error) => {
      note.textContent = describe(error);
    },
  );
};

function durationMs(text: string): number {
  const n = Number.parseInt(text, 10);
  const unit = text.replace(/^\d+/, '');
  return n * ({ s: 1000, m: 60_000, h: 3600_000, d: 86400_000 }[unit] ?? 1000);
}
