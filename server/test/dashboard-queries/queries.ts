import { readFileSync } from 'node:fs';

// The queries of the provisioned Grafana dashboard, and its macros substituted as Grafana does.

const dashboard = JSON.parse(
  readFileSync(new URL('../../../grafana/dashboards/metrics-collector.json', import.meta.url), 'utf8'),
);

interface DashboardQuery {
  /** Panel title and refId, or the template variable. */
  name: string;
  query: string;
  /** Whether the panel is repeated per `client`, so that `$client` holds one client at a time. */
  repeatedPerClient: boolean;
}

/** The queries of every panel (rows' nested panels included) and of every query variable. */
function dashboardQueries(): DashboardQuery[] {
  const found: DashboardQuery[] = [];
  const visit = (panels: any[] = []) => {
    for (const panel of panels) {
      visit(panel.panels);
      for (const target of panel.targets ?? []) {
        if (typeof target.query !== 'string') continue;
        found.push({
          name: `${panel.title} / ${target.refId}`,
          query: target.query,
          repeatedPerClient: panel.repeat === 'client',
        });
      }
    }
  };
  visit(dashboard.panels);
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type === 'query') {
      found.push({ name: `variable $${variable.name}`, query: variable.query, repeatedPerClient: false });
    }
  }
  return found;
}

export const queries = dashboardQueries();

/** Grafana's regex escaping of a variable value (InfluxDB's regex literals also need `/` escaped). */
const regexEscape = (value: string) => value.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');

/** `$client` as Grafana formats it inside a regex: one escaped value, or an alternation of several. */
function clientValue(clients: string[]): string {
  const escaped = clients.map(regexEscape);
  return escaped.length === 1 ? (escaped[0] as string) : `(${escaped.join('|')})`;
}

/** Substitutes the Grafana macros the dashboard uses, as Grafana sends them to InfluxDB. */
export function substitute(query: string, clients: string[], range: { from: number; to: number }): string {
  return query
    .replaceAll('$timeFilter', `time >= ${range.from}ms and time <= ${range.to}ms`)
    .replaceAll('$__interval', '1m')
    .replaceAll('$client', clientValue(clients));
}
