// Types of build-console.mjs, for the tests that import it.
export const JS_GZIP_LIMIT: number;
export function buildConsole(
  root: string,
  outdir: string,
): Promise<{ inputs: string[]; jsGzipBytes: number }>;
