// Types of code-cache.mjs, for the tests that import it.
export function cachePath(file: string): string;
export function runWithCodeCache(
  file: string,
  options?: { saveAfterMs?: number },
): 'used' | 'rejected' | 'none';
