import { catalogue, metricNames } from '@metrics-collector/common/catalogue';
import { describe, expect, it } from 'vitest';
import { CLIENTS } from './data.js';
import { queries, substitute } from './queries.js';

// The dashboard's queries read as text: the panels there are, the macros, the measurements and fields.

describe('the Grafana dashboard', () => {
  it('has the queries the tests below run: four CPU Loads, six more panels, the client variable', () => {
    expect(queries.map((q) => q.name)).toEqual([
      'CPU Loads: $client / A',
      'CPU Loads: $client / B',
      'CPU Loads: $client / C',
      'CPU Loads: $client / D',
      '95th percentile load per client / A',
      'Memory used / A',
      'Load average / A',
      'CPU per core / A',
      'Network / A',
      'Disk / A',
      'Disk / B',
      'variable $client',
    ]);
  });

  it('uses only the Grafana macros the tests substitute', () => {
    for (const { name, query } of queries) {
      const left = substitute(query, CLIENTS, { from: 0, to: 1 });
      expect({ name, left: left.match(/\$(\w|\{)/g) }).toEqual({ name, left: null });
    }
  });

  it("reads only measurements and fields of the store's schema", () => {
    const kinds = new Set<string>(metricNames.map((m) => catalogue[m].kind));
    const fieldNames = new Set<string>(metricNames.map((m) => catalogue[m].field));
    for (const { name, query } of queries) {
      for (const [, measurement] of query.matchAll(/FROM "(\w+)"/g)) {
        expect({ name, measurement, known: kinds.has(measurement as string) }).toMatchObject({ known: true });
      }
      for (const [, field] of query.matchAll(/"(\w+)_(?:mean|variance|min|max|count)"/g)) {
        expect({ name, field, known: fieldNames.has(field as string) }).toMatchObject({ known: true });
      }
    }
    expect(queries.some((q) => /_mean"/.test(q.query))).toBe(true);
  });

  it('substitutes $client into a valid, anchored regex', () => {
    const q = substitute('"client_id" =~ /^$client$/', CLIENTS, { from: 0, to: 1 });
    expect(q).toBe('"client_id" =~ /^(6a:d6:96:d3:45:35|host-b\\.example)$/');
  });
});
