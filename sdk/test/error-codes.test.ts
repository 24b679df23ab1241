import { errorRegistry } from '@metrics-collector/schema/errors';
import { expect, it } from 'vitest';
import { errorCodes, SdkError } from '../src/index.js';

/** The SDK's table of codes is the server's registry: a code added, removed or made retryable there fails here. */
it('lists exactly the codes of the server’s error registry, each as retryable as there', () => {
  const retryable = (table: Record<string, { retryable: boolean }>) =>
    Object.fromEntries(Object.entries(table).map(([code, { retryable }]) => [code, retryable]));
  expect(retryable(errorCodes)).toEqual(retryable(errorRegistry));
  expect(Object.keys(errorCodes).sort()).toEqual(Object.keys(errorRegistry).sort());
});

it('makes an answer of a retryable code retryable, without claiming that the server did nothing after an unexpected error', () => {
  const answer = (code: string) =>
    new SdkError({
      kind: 'graphql',
      message: code,
      request: { query: '{ metrics { name } }' },
      errors: [{ message: code, extensions: { code } }],
    });
  expect(answer('STORE_UNAVAILABLE')).toMatchObject({ retryable: true, notProcessed: true });
  expect(answer('INTERNAL_SERVER_ERROR')).toMatchObject({ retryable: true, notProcessed: false });
  expect(answer('BAD_USER_INPUT')).toMatchObject({ retryable: false, notProcessed: false });
  // A code of a newer server that the SDK does not know, and the prototype's own keys.
  expect(answer('SOMETHING_NEW')).toMatchObject({ retryable: false });
  expect(answer('toString')).toMatchObject({ retryable: false });
});
