/**
 * What the console's browser tests share: the server started as `npm start` starts it (scripts/launch.mjs,
 * which builds dist/ and dist/console/ first), and Debian's Chromium driven by playwright-core with every
 * request outside the server's origin aborted and every console error or page error recorded.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { type LogProcess, startLogProcess } from '../../testing/log-process.js';
import { terminate } from '../../testing/processes.js';

export const CHROMIUM = '/usr/bin/chromium';

/** Whether Chromium is installed; under `CI=true` a missing one throws (no suite is skipped in CI). */
export function hasChromium(): boolean {
  const found = existsSync(CHROMIUM);
  if (!found && process.env.CI === 'true') {
    throw new Error(`${CHROMIUM} is not installed (Debian package chromium); CI=true requires it`);
  }
  return found;
}

export interface Started {
  url: string;
  run: LogProcess;
  stop(): Promise<void>;
}

const launch = fileURLToPath(new URL('../../scripts/launch.mjs', import.meta.url));

/** `npm start` on a free port with its data in a new folder; `env` on top (LOCAL_AGENT, API_TOKENS, ...). */
export async function npmStart(env: Record<string, string> = {}): Promise<Started> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mc-console-'));
  // Plain node, as `npm start` runs it (under tsx's loader the server's first compressed WebSocket frame
  // waited seconds, which the figures would count).
  const run = startLogProcess(launch, [], { DATA_DIR: dataDir, PORT: '0', ...env }, { tsx: false });
  let listening: Awaited<ReturnType<LogProcess['waitFor']>>;
  try {
    listening = await run.waitFor((l) => l.msg === 'listening', 'listening');
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`npm start failed: ${run.stderr()}`, { cause: error });
  }
  return {
    url: (listening.url as string).replace(/\/graphql$/, ''),
    run,
    stop: async () => {
      await terminate(run.child, run.exited);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Browsing {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors so far; a test ends by expecting none. */
  errors: string[];
  /** Requests aborted because they left the server's origin. */
  blocked: string[];
  close(): Promise<void>;
}

/** Chromium with one page; requests to any other origin are aborted (and recorded). */
export async function openBrowser(
  origin: string,
  options: { colorScheme?: 'light' | 'dark' } = {},
): Promise<Browsing> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    colorScheme: options.colorScheme ?? 'light',
  });
  const errors: string[] = [];
  const blocked: string[] = [];
  const own = new URL(origin).origin;
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('data:') || url.startsWith('blob:') || new URL(url).origin === own)
      return route.continue();
    blocked.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  return {
    browser,
    context,
    page,
    errors,
    blocked,
    close: () => browser.close(),
  };
}

/** The start time (ms since navigation) of the newest mark named `name`, or null. */
export function markTime(page: Page, name: string): Promise<number | null> {
  return page.evaluate((n) => performance.getEntriesByName(n).at(-1)?.startTime ?? null, name);
}
