// Types of build.mjs, for the tests and the bench that import it.
export const DIST: string;
export const MANIFEST: string;
export function isFresh(manifest?: string): boolean;
export function build(names?: string[]): Promise<number>;
export function ensureBuilt(): Promise<number | null>;
export function bundleForNode(entry: string, dir: string): Promise<string>;
