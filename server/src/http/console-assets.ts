import { existsSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '@metrics-collector/schema/errors';
import { MethodNotAllowed } from './error-boundary.js';

/**
 * The web console's files as scripts/build.mjs writes them into dist/console/: `manifest.json` names
 * every file served (index.html and the content-hashed assets), each beside its `.gz` and `.br`.
 */
interface Manifest {
  files: Record<string, { type: string }>;
}

interface Asset {
  type: string;
  immutable: boolean;
  /** The bytes by content coding: identity, gzip, br. */
  bodies: Record<'identity' | 'gzip' | 'br', Buffer>;
}

/**
 * What the console's pages may load: their own origin only (the graphql-ws WebSocket named too, since
 * `'self'` covers ws: only in newer browsers), no inline script or style attribute, no framing.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/** Serves the console at `/` and `/assets/<hashed name>`; answers whether `path` was one of its routes. */
export type ConsoleAssets = (req: IncomingMessage, res: ServerResponse, path: string) => boolean;

/** The folders the built console may be in: beside the server's bundle (dist/), or dist/ of the repository. */
function defaultDirs(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  return [join(here, 'console'), join(here, '../../../dist/console')];
}

/**
 * The console's route. Nothing is read at start: the manifest and each file are read on first request
 * and kept (a few hundred kB). Only names in the manifest are served, so no path reaches another file.
 */
export function createConsoleAssets(dirs: readonly string[] = defaultDirs()): ConsoleAssets {
  let cache: { dir: string; mtimeMs: number; manifest: Manifest; assets: Map<string, Asset> } | undefined;
  const load = () => {
    if (cache) return cache;
    const dir = dirs.find((d) => existsSync(join(d, 'manifest.json')));
    if (!dir) return undefined;
    const file = join(dir, 'manifest.json');
    const { mtimeMs } = statSync(file);
    cache = { dir, mtimeMs, manifest: JSON.parse(readFileSync(file, 'utf8')) as Manifest, assets: new Map() };
    return cache;
  };
  // index.html is asked for once per visit: a console rebuilt since (`npm run build`) is served from then on.
  const rebuilt = () => {
    try {
      if (cache && statSync(join(cache.dir, 'manifest.json')).mtimeMs !== cache.mtimeMs) cache = undefined;
    } catch {
      cache = undefined;
    }
  };
  const asset = (name: string): Asset | undefined => {
    const loaded = load();
    const entry = loaded?.manifest.files[name];
    if (!loaded || !entry) return undefined;
    let found = loaded.assets.get(name);
    if (!found) {
      const file = join(loaded.dir, name);
      found = {
        type: entry.type,
        immutable: name !== 'index.html',
        bodies: {
          identity: readFileSync(file),
          gzip: readFileSync(`${file}.gz`),
          br: readFileSync(`${file}.br`),
        },
      };
      loaded.assets.set(name, found);
    }
    return found;
  };

  return (req, res, path) => {
    let name: string;
    if (path === '/' || path === '/index.html') name = 'index.html';
    else if (path.startsWith('/assets/')) name = path.slice('/assets/'.length);
    else return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new MethodNotAllowed('GET, HEAD');
    if (name === 'index.html') rebuilt();
    // Hashed names are plain: letters, digits, dots, dashes. Anything else (`..`, `%2e`, `/`) is no asset.
    const plain =
      /^[\w.-]+$/.test(name) &&
      !name.startsWith('.') &&
      !(path !== '/' && path !== '/index.html' && name === 'index.html');
    const found = plain ? asset(name) : undefined;
    if (!found) {
      if (!load()) {
        throw new AppError('NOT_FOUND', 'path: the console is not built; run `npm run build`', {
          field: 'path',
        });
      }
      throw new AppError('NOT_FOUND', `path: no asset ${path.slice(0, 100)}`, { field: 'path' });
    }
    const coding = chooseCoding(req.headers['accept-encoding']);
    const body = found.bodies[coding];
    const headers: Record<string, string | number> = {
      ...SECURITY_HEADERS,
      'content-type': found.type,
      'content-length': body.length,
      vary: 'Accept-Encoding',
      'cache-control': found.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    };
    if (coding !== 'identity') headers['content-encoding'] = coding;
    if (found.type.startsWith('text/html')) headers['content-security-policy'] = CONSOLE_CSP;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
}

/** brotli when the client takes it, else gzip, else the plain bytes (`q=0` refuses a coding). */
export function chooseCoding(header: string | string[] | undefined): 'identity' | 'gzip' | 'br' {
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  const accepted = new Set<string>();
  for (const part of text.toLowerCase().split(',')) {
    const [coding, ...params] = part.split(';').map((s) => s.trim());
    const q = params.find((p) => p.startsWith('q='));
    if (coding && !(q && Number(q.slice(2)) === 0)) accepted.add(coding);
  }
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip')) return 'gzip';
  return 'identity';
}
