import { expect, it } from 'vitest';
import { promised } from '../src/promise.js';

it('resolves with the value of synchronous work, run at once', async () => {
  let ran = false;
  const result = promised(() => {
    ran = true;
    return 42;
  });
  expect(ran).toBe(true);
  await expect(result).resolves.toBe(42);
});

it('rejects with what the work throws, instead of throwing', async () => {
  const failure = new Error('locked');
  let result: Promise<never> | undefined;
  expect(() => {
    result = promised(() => {
      throw failure;
    });
  }).not.toThrow();
  await expect(result).rejects.toBe(failure);
});
