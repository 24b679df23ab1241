import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIST } from '../../scripts/build.mjs';
import { JS_GZIP_LIMIT } from '../../scripts/build-console.mjs';
import { hasChromium, npmStart, openBrowser, type Started } from './browser.js';

/** A request with node:http, the path sent as written, the body's bytes as sent (no decoding). */
function get(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  const { origin, pathname } = new URL(url);
  const path = url.slice(origin.length) || pathname;
  return new Promise<{ res: { status: number; headers: Map<string, string> }; body: Buffer }>(
    (resolve, reject) => {
      const req = request(origin, { path, method: init.method ?? 'GET', headers: init.headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const headers = new Map(Object.entries(res.headers).map(([k, v]) => [k, String(v)]));
          resolve({ res: { status: res.statusCode ?? 0, headers }, body: Buffer.concat(chunks) });
        });
      });
      req.on('error', reject);
      req.end(init.body);
    },
  );
}

describe('the console as the server serves it', () => {
  let server: Started;
  beforeAll(async () => {
    server = await npmStart({ LOCAL_AGENT: 'off' });
  }, 120_000);
  afterAll(() => server?.stop());

  it('serves index.html at / with a strict CSP, nosniff, no framing and no-cache', async () => {
    const { res, body } = await get(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('vary')).toBe('Accept-Encoding');
    const csp = res.headers.get('content-security-policy') ?? '';
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "connect-src 'self'",
      "frame-ancestors 'none'",
    ])
      expect(csp).toContain(directive);
    expect(csp).not.toContain('unsafe');
    const html = body.toString();
    expect(html).toMatch(/<script type="module" src="\/assets\/console-[\w]+\.js">/);
    expect(html).not.toMatch(/<script>|style="|https?:\/\//);
  });

  it('serves the hashed assets immutable, brotli or gzip by Accept-Encoding, the same bytes', async () => {
    const html = (await get(`${server.url}/`)).body.toString();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1] as string;
    const plain = await get(`${server.url}${script}`);
    expect(plain.res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(plain.res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(plain.res.headers.get('content-encoding')).toBeUndefined();
    const br = await get(`${server.url}${script}`, { headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(br.res.headers.get('content-encoding')).toBe('br');
    const gz = await get(`${server.url}${script}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(gz.res.headers.get('content-encoding')).toBe('gzip');
    const noBr = await get(`${server.url}${script}`, { headers: { 'accept-encoding': 'br;q=0, gzip' } });
    expect(noBr.res.headers.get('content-encoding')).toBe('gzip');
    const file = join(DIST, 'console', script.slice('/assets/'.length));
    expect(plain.body.equals(readFileSync(file))).toBe(true);
    expect(gunzipSync(gz.body).equals(plain.body)).toBe(true);
    expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true);
    expect(br.body.length).toBeLessThan(gz.body.length);
  });

  it(`keeps the JavaScript under ${JS_GZIP_LIMIT / 1024} kB gzipped`, () => {
    const manifest = JSON.parse(readFileSync(join(DIST, 'console/manifest.json'), 'utf8'));
    console.log(`console JavaScript: ${(manifest.jsGzipBytes / 1024).toFixed(1)} kB gzipped`);
    expect(manifest.jsGzipBytes).toBeGreaterThan(10_000);
    expect(manifest.jsGzipBytes).toBeLessThanOrEqual(JS_GZIP_LIMIT);
  });

  it('answers HEAD, refuses other methods (405), unknown assets (404) and every path out of the folder', async () => {
    expect((await get(`${server.url}/`, { method: 'HEAD' })).res.status).toBe(200);
    const post = await get(`${server.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(post.res.status).toBe(405);
    expect(post.res.headers.get('allow')).toBe('GET, HEAD');
    expect((await get(`${server.url}/assets/x.js`, { method: 'DELETE' })).res.status).toBe(405);
    expect((await get(`${server.url}/assets/console-nothing.js`)).res.status).toBe(404);
    for (const path of [
      '/assets/../package.json',
      '/assets/..%2f..%2fpackage.json',
      '/assets/%2e%2e/%2e%2e/package.json',
      '/assets/manifest.json',
      '/assets/.gitignore',
      '/assets/index.html.gz',
      '/assets//etc/passwd',
      '/assets/..\\..\\package.json',
      '/assets/../../package.json',
    ]) {
      const { res, body } = await get(`${server.url}${path}`);
      expect([path, res.status]).toEqual([path, 404]);
      expect(body.toString()).not.toContain('"workspaces"');
    }
  });

  it('still refuses a foreign Origin and, with auth off, a foreign Host', async () => {
    expect((await get(`${server.url}/`, { headers: { origin: 'https://evil.example' } })).res.status).toBe(
      403,
    );
    const status = (await get(`${server.url}/`, { headers: { host: 'rebound.example' } })).res.status;
    expect(status).toBe(403);
  });

  it.skipIf(!hasChromium())(
    'renders GraphiQL at /graphql with every other origin blocked',
    async () => {
      const browsing = await openBrowser(server.url);
      try {
        const { page } = browsing;
        await page.goto(`${server.url}/graphql`);
        expect(await page.title()).toBe('metrics-collector');
        await page.locator('.graphiql-container').first().waitFor({ state: 'visible', timeout: 60_000 });
        expect(browsing.blocked).toEqual([]);
        expect(browsing.errors).toEqual([]);
      } finally {
        await browsing.close();
      }
    },
    120_000,
  );
});
