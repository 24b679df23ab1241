import type { ClientFieldsFragment } from '@metrics-collector/sdk';
import { describe, follow, histories, type Series } from '../api.js';
import { h, labelled, replace, select, sparkline } from '../dom.js';
import { ago } from '../format.js';
import type { Page } from '../page.js';

type Status = 'ONLINE' | 'STALE' | 'OFFLINE';
interface Row {
  client: ClientFieldsFragment;
  status: Status;
  /** Whether the status came from `clientStatusChanged` (else estimated from the last report). */
  announced: boolean;
}

const PAGE_SIZE = 50;
const HOUR = 3600_000;
const ORDER: Record<Status, number> = { ONLINE: 0, STALE: 1, OFFLINE: 2 };

/**
 * Until the server announces a status, it is estimated from the last report as the server would with
 * the agent's default 10 s interval: STALE after 3 intervals, OFFLINE after 10 (docs/live.md).
 */
function estimate(lastSeen: string, now: number): Status {
  const age = now - Date.parse(lastSeen);
  return age <= 30_000 ? 'ONLINE' : age <= 100_000 ? 'STALE' : 'OFFLINE';
}

/** Every client, a page at a time: status (live), host, OS, last report, CPU and memory sparklines, alerts. */
export const fleetPage: Page = (session, main, signal) => {
  performance.mark('fleet-start');
  const { client } = session;
  const rows = new Map<string, Row>();
  const firing = new Map<string, Set<string>>();
  const sparks = new Map<string, Series>();
  const view = { filter: '', status: '', sort: 'name', page: 0 };
  const note = h('p', { role: 'status', class: 'note' }, 'Loading clients…');
  const tbody = h('tbody');
  const pager = h('div', { class: 'pager' });
  const filter = h('input', { type: 'search', placeholder: 'name or id', 'aria-label': 'Filter by name' });
  filter.addEventListener('input', () => {
    view.filter = filter.value.trim().toLowerCase();
    view.page = 0;
    render();
  });
  const statusSelect = select(
    'Filter by status',
    [
      ['', 'All'],
      ['ONLINE', 'Online'],
      ['STALE', 'Stale'],
      ['OFFLINE', 'Offline'],
    ],
    '',
    (v) => {
      view.status = v;
      view.page = 0;
      render();
    },
  );
  const sortSelect = select(
    'Sort by',
    [
      ['name', 'Name'],
      ['status', 'Status'],
      ['lastSeen', 'Last report (newest first)'],
    ],
    'name',
    (v) => {
      view.sort = v;
      render();
    },
  );
  replace(
    main,
    h('h1', {}, 'Fleet'),
    h(
      'div',
      { class: 'controls' },
      labelled('Filter', filter),
      labelled('Status', statusSelect),
      labelled('Sort', sortSelect),
    ),
    note,
    h(
      'table',
      { class: 'fleet' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Status', 'Host', 'OS', 'Last report', 'CPU, last hour', 'Memory, last hour', 'Alerts'].map(
            (t) => h('th', { scope: 'col' }, t),
          ),
        ),
      ),
      tbody,
    ),
    pager,
  );

  const name = (row: Row) => (row.client.hostname ?? row.client.id).toLowerCase();
  const visible = (): Row[] => {
    const list = [...rows.values()].filter(
      (row) =>
        (!view.filter ||
          name(row).includes(view.filter) ||
          row.client.id.toLowerCase().includes(view.filter)) &&
        (!view.status || row.status === view.status),
    );
    const byName = (a: Row, b: Row) =>
      name(a).localeCompare(name(b)) || a.client.id.localeCompare(b.client.id);
    if (view.sort === 'status') list.sort((a, b) => ORDER[a.status] - ORDER[b.status] || byName(a, b));
    else if (view.sort === 'lastSeen')
      list.sort((a, b) => b.client.lastSeen.localeCompare(a.client.lastSeen));
    else list.sort(byName);
    return list;
  };

  let shown: Row[] = [];
  function render(): void {
    const list = visible();
    const pages = Math.max(1, Math.ceil(list.length / PAGE_SIZE));
    view.page = Math.min(view.page, pages - 1);
    shown = list.slice(view.page * PAGE_SIZE, (view.page + 1) * PAGE_SIZE);
    const now = Date.now();
    tbody.replaceChildren(...shown.map((row) => rowElement(row, now)));
    const first = list.length ? view.page * PAGE_SIZE + 1 : 0;
    const prev = h('button', { type: 'button', disabled: view.page === 0 }, 'Previous page');
    const next = h('button', { type: 'button', disabled: view.page >= pages - 1 }, 'Next page');
    prev.addEventListener('click', () => {
      view.page -= 1;
      render();
    });
    next.addEventListener('click', () => {
      performance.mark('fleet-next-page');
      view.page += 1;
      render();
    });
    replace(pager, prev, h('span', {}, `${first}–${first + shown.length - 1 || 0} of ${list.length}`), next);
    note.textContent = rows.size ? '' : 'No client has reported yet.';
    performance.mark('fleet-rendered');
    void loadSparks();
  }

  function rowElement(row: Row, now: number): HTMLTableRowElement {
    const { client: c } = row;
    const alerts = firing.get(c.id)?.size ?? 0;
    const spark = (metric: string, label: string) => {
      const series = sparks.get(`${c.id}|${metric}`);
      return series ? sparkline(series.value, 0, 1, `${label} of ${c.hostname ?? c.id}, last hour`) : '…';
    };
    return h(
      'tr',
      { 'data-client': c.id, class: alerts ? 'firing' : null },
      h(
        'td',
        {},
        h(
          'span',
          {
            class: `status ${row.status.toLowerCase()}`,
            title: row.announced ? 'announced by the server' : 'estimated from the last report',
          },
          row.status,
        ),
      ),
      h(
        'td',
        {},
        h('a', { href: `#/host/${encodeURIComponent(c.id)}` }, c.hostname ?? c.id),
        h('small', {}, c.id),
      ),
      h('td', {}, [c.osType, c.osVersion].filter(Boolean).join(' ') || '–'),
      h('td', { title: c.lastSeen }, ago(c.lastSeen, now)),
      h('td', {}, spark('CPU_UTILIZATION', 'CPU utilisation')),
      h('td', {}, spark('MEMORY_USED_RATIO', 'Memory used')),
      h('td', {}, alerts ? h('span', { class: 'badge firing' }, `${alerts} FIRING`) : ''),
    );
  }

  let sparksFor = '';
  async function loadSparks(): Promise<void> {
    const ids = shown.map((row) => row.client.id).filter((id) => !sparks.has(`${id}|CPU_UTILIZATION`));
    const key = ids.join(',');
    if (!ids.length || key === sparksFor) return;
    sparksFor = key;
    const to = Date.now();
    try {
      const got = await histories(
        client,
        ids.flatMap((id) => [
          { key: `${id}|CPU_UTILIZATION`, metric: 'CPU_UTILIZATION' as const, clientId: id },
          { key: `${id}|MEMORY_USED_RATIO`, metric: 'MEMORY_USED_RATIO' as const, clientId: id },
        ]),
        { from: to - HOUR, to, resample: '1m', resampleMs: 60_000, aggregate: 'MEAN' },
      );
      if (signal.aborted) return;
      for (const [k, series] of got) sparks.set(k, series);
      sparksFor = '';
      schedule();
    } catch (error) {
      if (!signal.aborted) note.textContent = `Sparklines: ${describe(error)}`;
    }
  }

  let pending = false;
  const schedule = () => {
    if (pending || signal.aborted) return;
    pending = true;
    setTimeout(() => {
      pending = false;
      if (!signal.aborted) render();
    }, 250);
  };

  const setClient = (c: ClientFieldsFragment) => {
    const old = rows.get(c.id);
    rows.set(c.id, {
      client: c,
      status: old?.announced ? old.status : estimate(c.lastSeen, Date.now()),
      announced: old?.announced ?? false,
    });
  };

  const onError = (error: unknown) => {
    note.textContent = describe(error);
  };
  follow(
    client.subscriptions.clientStatusChanged(),
    signal,
    (event) => {
      const row = rows.get(event.clientId);
      if (!row) return;
      row.status = event.status;
      row.announced = true;
      schedule();
    },
    onError,
  );
  follow(
    client.subscriptions.metricReported(),
    signal,
    (event) => {
      const row = rows.get(event.clientId);
      if (row) {
        if (event.windowEnd > row.client.lastSeen) row.client = { ...row.client, lastSeen: event.windowEnd };
        schedule();
        return;
      }
      void client.client(event.clientId).then((c) => {
        if (c && !signal.aborted) {
          setClient(c);
          performance.mark(`fleet-row:${c.id}`);
          render();
        }
      }, onError);
    },
    onError,
  );
  follow(
    client.subscriptions.alertEvents(),
    signal,
    (event) => {
      const set = firing.get(event.clientId) ?? new Set<string>();
      if (event.state === 'FIRING') set.add(event.ruleId);
      else set.delete(event.ruleId);
      firing.set(event.clientId, set);
      schedule();
    },
    onError,
  );

  void (async () => {
    try {
      let after: string | undefined;
      for (;;) {
        const page = await client.clients({ first: 1000, after });
        for (const c of page) setClient(c);
        if (page.length < 1000) break;
        after = page.at(-1)?.id;
      }
      if (signal.aborted) return;
      render();
      performance.mark('fleet-interactive');
      const rules = await client.alertRules();
      for (const rule of rules)
        for (const state of rule.states)
          if (state.state === 'FIRING') {
            const set = firing.get(state.clientId) ?? new Set<string>();
            firing.set(state.clientId, set.add(rule.id));
          }
      if (!signal.aborted) render();
    } catch (error) {
      onError(error);
    }
  })();
};
