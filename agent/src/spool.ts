import {
  closeSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

/**
 * A crash-safe, file-backed queue of closed windows (or any JSON value), kept until the server acknowledged
 * them. An append-only log in segment files `<dir>/segment-<n>.log` of records
 *
 *   [u32 length][u32 crc32 of the body][body]   body = [u8 kind][payload]
 *
 * where kind 1 is an entry (payload: u64 id + JSON) and kind 2 an acknowledgement (payload: u64 id). An entry
 * is fsynced before `append` resolves, so `kill -9` loses at most what was not yet appended; a record cut
 * short by a crash (or damaged) ends its segment: it and anything after it are cut off on open, and counted.
 * Acknowledgements are not fsynced: one lost in a crash only makes an entry be sent again, which the server
 * stores once (writes are idempotent). The oldest segments are deleted once all their entries are
 * acknowledged; the active segment rolls over past `segmentBytes`. Bounded by `maxBytes` and `maxAgeMs`: the oldest entries are
 * dropped first, counted in `dropped`.
 */
export interface SpoolOptions {
  dir: string;
  /** Most bytes of entries waiting (their records); beyond it the oldest are dropped. @default 100 MiB */
  maxBytes?: number;
  /** Entries older than this (by `append` time, the clock's) are dropped. @default 7 days */
  maxAgeMs?: number;
  /** Size at which the active segment rolls over. @default 1 MiB */
  segmentBytes?: number;
  now?: () => number;
}

export interface SpoolEntry<T> {
  id: number;
  /** Bytes of its record. */
  bytes: number;
  /** When it was appended, epoch ms. */
  at: number;
  value: T;
}

interface Segment {
  n: number;
  path: string;
  bytes: number;
  /** Ids of its entries not yet acknowledged. */
  live: Set<number>;
}

const ENTRY = 1;
const ACK = 2;

export class Spool<T> {
  /** Records cut off on open because they were torn or damaged. */
  readonly torn: number = 0;
  /** Entries dropped for the size or age bound since open. */
  dropped = 0;
  private readonly entries = new Map<number, SpoolEntry<T> & { segment: Segment }>();
  private readonly segments: Segment[] = [];
  private nextId = 1;
  private waitingBytes = 0;
  private fd: number | null = null;
  private readonly maxBytes: number;
  private readonly maxAgeMs: number;
  private readonly segmentBytes: number;
  private readonly now: () => number;
  private lockPath: string | null;

  constructor(private readonly options: SpoolOptions) {
    this.maxBytes = options.maxBytes ?? 100 * 1024 * 1024;
    this.maxAgeMs = options.maxAgeMs ?? 7 * 86_400_000;
    this.segmentBytes = options.segmentBytes ?? 1024 * 1024;
    this.now = options.now ?? Date.now;
    mkdirSync(options.dir, { recursive: true });
    this.lockPath = lock(options.dir);
    const numbers = readdirSync(options.dir)
      .map((name) => /^segment-(\d+)\.log$/.exec(name)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    let torn = 0;
    const acked = new Set<number>();
    for (const n of numbers) {
      const path = join(options.dir, `segment-${n}.log`);
      const segment: Segment = { n, path, bytes: 0, live: new Set() };
      const data = readFileSync(path);
      let offset = 0;
      while (offset < data.length) {
        const record = readRecord(data, offset);
        if (!record) {
          torn += 1;
          const fd = openSync(path, 'r+');
          ftruncateSync(fd, offset);
          fsyncSync(fd);
          closeSync(fd);
          break;
        }
        const id = Number(record.body.readBigUInt64LE(1));
        if (record.body[0] === ENTRY) {
          const at = Number(record.body.readBigUInt64LE(9));
          const value = JSON.parse(record.body.subarray(17).toString('utf8')) as T;
          const bytes = record.end - offset;
          this.entries.set(id, { id, at, bytes, value, segment });
          this.waitingBytes += bytes;
          segment.live.add(id);
        } else {
          acked.add(id);
        }
        this.nextId = Math.max(this.nextId, id + 1);
        offset = record.end;
      }
      segment.bytes = offset;
      this.segments.push(segment);
    }
    for (const id of acked) this.forget(id);
    (this as { torn: number }).torn = torn;
    this.removeEmptySegments();
  }

  /** Appends `value`; resolves once it is on disk (fsynced). Returns its id. */
  append(value: T): number {
    const id = this.nextId++;
    const at = this.now();
    const json = Buffer.from(JSON.stringify(value), 'utf8');
    const body = Buffer.alloc(17 + json.length);
    body[0] = ENTRY;
    body.writeBigUInt64LE(BigInt(id), 1);
    body.writeBigUInt64LE(BigInt(at), 9);
    json.copy(body, 17);
    const { segment, bytes } = this.write(body, true);
    this.entries.set(id, { id, at, bytes, value, segment });
    this.waitingBytes += bytes;
    segment.live.add(id);
    this.enforceBounds();
    return id;
  }

  /** Marks an entry sent and acknowledged; it is not returned again. */
  ack(id: number): void {
    if (!this.entries.has(id)) return;
    const body = Buffer.alloc(9);
    body[0] = ACK;
    body.writeBigUInt64LE(BigInt(id), 1);
    this.write(body, false);
    this.forget(id);
    this.removeEmptySegments();
  }

  /** Entries not yet acknowledged, oldest first (after dropping those past the age bound). */
  pending(): SpoolEntry<T>[] {
    this.enforceBounds();
    return [...this.entries.values()].map(({ id, at, bytes, value }) => ({ id, at, bytes, value }));
  }

  get size(): number {
    return this.entries.size;
  }

  /** Bytes of the entries waiting. */
  get bytes(): number {
    return this.waitingBytes;
  }

  /** Bytes of all segment files (acknowledged records stay until their segment is deleted). */
  get fileBytes(): number {
    return this.segments.reduce((sum, s) => sum + s.bytes, 0);
  }

  /** Flushes and closes the active segment and releases the folder. */
  close(): void {
    if (this.fd !== null) {
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = null;
    }
    if (this.lockPath) {
      rmSync(this.lockPath, { force: true });
      this.lockPath = null;
    }
  }

  /** The segment being appended to: the last one, unless it is full; opened on first use. */
  private active(): Segment {
    let active = this.segments.at(-1);
    if (!active || active.bytes >= this.segmentBytes) {
      if (this.fd !== null) {
        closeSync(this.fd);
        this.fd = null;
      }
      const n = (active?.n ?? 0) + 1;
      active = { n, path: join(this.options.dir, `segment-${n}.log`), bytes: 0, live: new Set() };
      this.segments.push(active);
    }
    this.fd ??= openSync(active.path, 'a');
    return active;
  }

  private write(body: Buffer, sync: boolean): { segment: Segment; bytes: number } {
    const segment = this.active();
    const header = Buffer.alloc(8);
    header.writeUInt32LE(body.length, 0);
    header.writeUInt32LE(crc32(body), 4);
    const record = Buffer.concat([header, body]);
    writeSync(this.fd as number, record);
    if (sync) fsyncSync(this.fd as number);
    segment.bytes += record.length;
    return { segment, bytes: record.length };
  }

  private forget(id: number): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    entry.segment.live.delete(id);
    this.entries.delete(id);
    this.waitingBytes -= entry.bytes;
  }

  /**
   * Deletes the oldest segments while all their entries are acknowledged or dropped, never the active one.
   * Only from the front: a later segment may hold the acknowledgements of an earlier one's entries.
   */
  private removeEmptySegments(): void {
    while (this.segments.length > 1 && (this.segments[0] as Segment).live.size === 0) {
      rmSync((this.segments[0] as Segment).path, { force: true });
      this.segments.shift();
    }
  }

  private enforceBounds(): void {
    const oldest = this.now() - this.maxAgeMs;
    for (const entry of this.entries.values()) {
      // Oldest first: entries are kept in id order, and ids grow with time.
      if (entry.at >= oldest && this.waitingBytes <= this.maxBytes) break;
      this.forget(entry.id);
      this.dropped += 1;
      this.removeEmptySegments();
    }
  }
}

function readRecord(data: Buffer, offset: number): { body: Buffer; end: number } | null {
  if (offset + 8 > data.length) return null;
  const length = data.readUInt32LE(offset);
  const end = offset + 8 + length;
  if (length < 9 || end > data.length) return null;
  const body = data.subarray(offset + 8, end);
  if (crc32(body) !== data.readUInt32LE(offset + 4)) return null;
  if (body[0] !== ENTRY && body[0] !== ACK) return null;
  if (body[0] === ENTRY && length < 17) return null;
  return { body, end };
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 (IEEE), as zlib computes it (Node 20 has no `zlib.crc32`). */
/** Thrown when another live process holds the spool folder. */
export class SpoolLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`the spool folder ${dir} is in use by process ${pid}: give each agent its own (--spool-dir)`);
    this.name = 'SpoolLockedError';
  }
}

/**
 * Takes `<dir>/lock` for this process: two agents appending to one spool would interleave their records
 * and send each other's windows. A lock left by a process that no longer runs (killed) is taken over.
 */
function lock(dir: string): string {
  const path = join(dir, 'lock');
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      return path;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number(readFileSync(path, 'utf8'));
    if (Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
      throw new SpoolLockedError(dir, holder);
    }
    rmSync(path, { force: true });
  }
  throw new Error(`cannot take the lock of the spool folder ${dir}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) c = (CRC_TABLE[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
