import SchemaBuilder from '@pothos/core';
import type { Context } from './context.js';

/** The one Pothos builder. It defines no types: each domain file adds its own. */
export const builder = new SchemaBuilder<{
  Context: Context;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    Duration: { Input: number; Output: number };
  };
  DefaultFieldNullability: false;
  DefaultInputFieldRequiredness: true;
}>({
  defaultFieldNullability: false,
  defaultInputFieldRequiredness: true,
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
