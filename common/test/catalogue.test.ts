import { describe, expect, it } from 'vitest';
import { catalogue, type MetricSpec, metricNames, reportGroups } from '../src/catalogue.js';

const specs: [string, MetricSpec][] = Object.entries(catalogue);

describe('the catalogue', () => {
  it('gives every series either an input path in a report group or a per-core series it derives from', () => {
    for (const [metric, spec] of specs) {
      expect([metric, Boolean(spec.input) !== Boolean(spec.derived)]).toEqual([metric, true]);
      if (spec.input) expect(Object.keys(reportGroups)).toContain(spec.input.path.split('.')[0]);
      if (spec.derived) {
        const source = (catalogue as Record<string, MetricSpec>)[spec.derived.from];
        expect(source?.perCore && source.input).toBeTruthy();
        expect(metricNames.indexOf(spec.derived.from as never)).toBeLessThan(
          metricNames.indexOf(metric as never),
        );
      }
    }
    const paths = specs.flatMap(([, spec]) => (spec.input ? [spec.input.path] : []));
    expect(new Set(paths).size).toBe(paths.length);
  });

  it('names each reported series by a path the agent can key its samples by', () => {
    for (const [metric, spec] of specs) {
      if (!spec.input) continue;
      // `group.field`, the field an identifier: a per-core series' samples are `<path>.<core>`.
      expect([metric, spec.input.path]).toEqual([
        metric,
        expect.stringMatching(/^[a-z]+\.[A-Za-z][A-Za-z0-9]*$/),
      ]);
      if (spec.input.value) expect([metric, spec.perCore]).toEqual([metric, false]);
    }
  });
});
