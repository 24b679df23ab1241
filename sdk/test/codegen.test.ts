import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generate } from '@graphql-codegen/cli';
import { expect, it } from 'vitest';
import config from '../../codegen.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

it('the committed generated module is what `npm run codegen` writes from the schema and operations', async () => {
  // The same configuration the script uses, generated in memory instead of over the committed file.
  const outputs: { filename: string; content: string }[] = await generate(
    { ...config, cwd: root, silent: true },
    false,
  );
  expect(outputs.map((o) => o.filename)).toEqual(['sdk/src/generated/graphql.ts']);
  for (const output of outputs) {
    const committed = readFileSync(new URL(output.filename, `file://${root}`), 'utf8');
    // On failure: run `npm run codegen` and commit the result.
    expect(committed).toBe(output.content);
  }
});
