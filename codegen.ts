import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * GraphQL Code Generator (`npm run codegen`): the printed schema and the SDK's operations give one module
 * of `TypedDocumentNode`s with their result and variable types. `typescript-operations` writes the enums
 * and inputs the operations use, so the `typescript` plugin is not needed. `sdk/test/codegen.test.ts`
 * regenerates the module and fails when the committed file differs.
 */
const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: 'sdk/src/operations/*.graphql',
  generates: {
    'sdk/src/generated/graphql.ts': {
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        // Results carry ISO-8601 strings; inputs also take a Date (JSON turns it into ISO) or epoch ms.
        scalars: {
          DateTime: { input: 'string | Date | number', output: 'string' },
          Duration: { input: 'string', output: 'string' },
        },
        strictScalars: true,
        // String unions, so that callers write 'CPU_UTILIZATION' and the module holds no runtime enums.
        enumsAsTypes: true,
        useTypeImports: true,
        skipTypename: true,
      },
    },
  },
};

export default config;
