import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SdkError } from '@metrics-collector/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { errorSummary, silentLogger } from '../src/log.js';
import type { ReportWindow } from '../src/report.js';
import { Sender } from '../src/sender.js';
import { Spool } from '../src/spool.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function spoolWith(windows: number): Spool<ReportWindow> {
  const dir = mkdtempSync(join(tmpdir(), 'mc-sender-'));
  dirs.push(dir);
  const spool = new Spool<ReportWindow>({ dir });
  for (let k = 0; k < windows; k += 1)
    spool.append({ clientId: 'h', windowStart: k * 1_000, windowEnd: (k + 1) * 1_000, observations: 1 });
  return spool;
}

const refusal = (code: string) =>
  new SdkError({
    kind: 'graphql',
    message: 'refused',
    request: { query: '' },
    errors: [{ message: 'refused', extensions: { code } }],
  });

describe('the sender', () => {
  it('sends the newest window first after an outage, then the backlog oldest first in batches', async () => {
    const spool = spoolWith(45);
    const sent: number[] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    const sender = new Sender({
      spool,
      logger: silentLogger,
      batchSize: 20,
      send: async (report) => {
        inFlight += 1;
        mostInFlight = Math.max(mostInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 1));
        sent.push(report.windowStart / 1_000);
        inFlight -= 1;
      },
    });
    expect(await sender.stop(Date.now() + 10_000)).toBe(0);
    expect(sent[0]).toBe(44);
    expect(sent.slice(1).sort((a, b) => a - b)).toEqual([...Array(44).keys()]);
    // Batches of 20, one after the other: never more than 20 at once, and the first batch is 0..19.
    expect(mostInFlight).toBe(20);
    expect(sent.slice(1, 21).sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
    expect(spool.size).toBe(0);
    expect(sender.stats).toEqual({ sent: 45, refused: 0, failures: 0 });
  });

  it('keeps a window that failed and sends it again after backing off, warning once per streak', async () => {
    const spool = spoolWith(1);
    let attempts = 0;
    const lines: string[] = [];
    const sender = new Sender({
      spool,
      logger: {
        debug: () => {},
        info: (_fields, message) => lines.push(`info ${message}`),
        warn: (_fields, message) => lines.push(`warn ${message}`),
        error: (_fields, message) => lines.push(`error ${message}`),
      },
      backoff: { minMs: 5, maxMs: 10 },
      send: async () => {
        attempts += 1;
        if (attempts <= 3)
          throw new SdkError({ kind: 'network', message: 'refused', request: { query: '' } });
      },
    });
    sender.start();
    while (spool.size > 0) await new Promise((r) => setTimeout(r, 5));
    await sender.stop(Date.now());
    expect(attempts).toBe(4);
    expect(sender.stats).toEqual({ sent: 1, refused: 0, failures: 3 });
    expect(lines).toEqual([
      'warn sending a window failed; it stays in the spool',
      'info the server takes windows again',
    ]);
  });

  it('drops a window the server refuses as invalid, keeps one refused for lack of rights', async () => {
    const spool = spoolWith(3);
    const sender = new Sender({
      spool,
      logger: silentLogger,
      send: async (report) => {
        if (report.windowStart === 0) throw refusal('BAD_USER_INPUT');
        if (report.windowStart === 1_000) throw refusal('FORBIDDEN');
      },
    });
    expect(await sender.stop(Date.now() + 1_000)).toBe(1);
    expect(spool.pending().map((e) => e.value.windowStart)).toEqual([1_000]);
    expect(sender.stats.refused).toBe(1);
    expect(sender.stats.sent).toBe(1);
  });

  it('abandons a send that does not settle in time', async () => {
    const spool = spoolWith(1);
    const sender = new Sender({
      spool,
      logger: silentLogger,
      sendTimeoutMs: 20,
      send: () => new Promise(() => {}),
    });
    expect(await sender.stop(Date.now() + 200)).toBe(1);
    expect(sender.stats.failures).toBeGreaterThanOrEqual(1);
  });

  it('hands an error of its own loop (the spool failing) to onFatal rather than crashing the process', async () => {
    const spool = spoolWith(1);
    const broken = Object.assign(Object.create(spool) as Spool<ReportWindow>, {
      pending: () => {
        throw new Error('EIO: i/o error, read');
      },
    });
    const fatal = new Promise<unknown>((resolve) => {
      new Sender({ spool: broken, logger: silentLogger, send: async () => {}, onFatal: resolve }).start();
    });
    expect(await fatal).toMatchObject({ message: 'EIO: i/o error, read' });
  });
});

describe('errorSummary', () => {
  it('says what failed without the request, with the innermost cause', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:59999'), {
      code: 'ECONNREFUSED',
    });
    const error = new SdkError({
      kind: 'network',
      message: 'No answer: fetch failed',
      request: { query: 'mutation { reportMetrics }' },
      cause: new TypeError('fetch failed', { cause: refused }),
    });
    expect(errorSummary(error)).toEqual({
      message: 'No answer: fetch failed',
      code: 'network',
      cause: 'connect ECONNREFUSED 127.0.0.1:59999',
    });
    expect(errorSummary('plain')).toEqual({ message: 'plain' });
  });
});
