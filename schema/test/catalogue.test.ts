import { catalogue, type MetricSpec, reportGroups } from '@metrics-collector/common/catalogue';
import { type GraphQLEnumType, GraphQLInputObjectType, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { AppError } from '../src/errors.js';
import { schema } from '../src/index.js';

const specs: [string, MetricSpec][] = Object.entries(catalogue);

describe('the schema from the catalogue', () => {
  it('makes the report input types: one field per reported series, of the shape its entry says', () => {
    const report = schema.getType('ReportMetricsInput') as GraphQLInputObjectType;
    for (const group of Object.keys(reportGroups)) {
      const type = report.getFields()[group]?.type;
      expect(type).toBeInstanceOf(GraphQLInputObjectType);
      const fields = (type as GraphQLInputObjectType).getFields();
      const inGroup = specs.filter(([, spec]) => spec.input?.path.startsWith(`${group}.`));
      expect(Object.keys(fields).sort()).toEqual(
        inGroup.map(([, spec]) => spec.input?.path.split('.')[1]).sort(),
      );
      for (const [, spec] of inGroup) {
        const input = spec.input as NonNullable<MetricSpec['input']>;
        const field = fields[input.path.split('.')[1] as string];
        const shape = input.value ? 'Float' : spec.perCore ? '[StatInput!]' : 'StatInput';
        expect(String(field?.type)).toBe(input.required ? `${shape}!` : shape);
        expect(field?.description ?? undefined).toBe(input.description);
      }
    }
  });

  it('makes enum Metric: one value per series, described as in the catalogue', () => {
    const values = (schema.getType('Metric') as GraphQLEnumType).getValues();
    expect(Object.fromEntries(values.map((v) => [v.name, v.description]))).toEqual(
      Object.fromEntries(specs.map(([metric, spec]) => [metric, spec.description])),
    );
  });
});

describe('scalar literals', () => {
  it.each([
    [
      '{ metricHistory(metric: CPU_UTILIZATION, from: "yesterday") { resample } }',
      'DateTime',
      'BAD_USER_INPUT',
    ],
    [
      '{ metricHistory(metric: CPU_UTILIZATION, resample: "15 m") { resample } }',
      'Duration',
      'INVALID_DURATION',
    ],
  ])('refuse %s with a registry error located at the literal', (source, field, code) => {
    const [error, ...more] = validate(schema, parse(source));
    expect(more).toEqual([]);
    expect(error).toBeInstanceOf(AppError);
    expect(error?.extensions).toMatchObject({ code, field, http: { status: 400 } });
    expect(error?.message).toMatch(new RegExp(`^${field}: `));
    const column = source.indexOf(field === 'DateTime' ? '"yesterday"' : '"15 m"') + 1;
    expect(error?.locations).toEqual([{ line: 1, column }]);
  });
});
