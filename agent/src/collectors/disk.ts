import { readdir, readFile, statfs } from 'node:fs/promises';
import { si } from '../systeminformation.js';
import type { Collector } from './collector.js';

/** Bytes read from and written to the host's disks since boot. */
export interface DiskCounters {
  readBytes: number;
  writeBytes: number;
}

export interface FilesystemUsage {
  mount: string;
  usedBytes: number;
  /** Bytes an unprivileged user can still write (as `df` counts). */
  availableBytes: number;
}

export interface DiskSource {
  /** `null` when the system does not say. */
  counters(): Promise<DiskCounters | null>;
  filesystems(): Promise<FilesystemUsage[]>;
}

/**
 * Read and write rates in bytes/s (`disk.readBytesPerSecond`, `disk.writeBytesPerSecond`) from the
 * counters' growth since the previous sample (none on the first sample or after the counters went back),
 * and the used share of the fullest filesystem (`disk.filesystemUsedRatio`, used / (used + available), as
 * `df` shows it).
 */
export function diskCollector(source: DiskSource, now: () => number = Date.now): Collector {
  let previous: { at: number; counters: DiskCounters } | null = null;
  return {
    name: 'disk',
    collect: async () => {
      const [counters, filesystems] = await Promise.all([source.counters(), source.filesystems()]);
      const at = now();
      const values: Record<string, number> = {};
      if (counters) {
        const before = previous;
        previous = { at, counters };
        if (
          before &&
          at > before.at &&
          counters.readBytes >= before.counters.readBytes &&
          counters.writeBytes >= before.counters.writeBytes
        ) {
          const seconds = (at - before.at) / 1000;
          values['disk.readBytesPerSecond'] = (counters.readBytes - before.counters.readBytes) / seconds;
          values['disk.writeBytesPerSecond'] = (counters.writeBytes - before.counters.writeBytes) / seconds;
        }
      }
      const ratios = filesystems
        .filter((f) => f.usedBytes + f.availableBytes > 0)
        .map((f) => f.usedBytes / (f.usedBytes + f.availableBytes));
      if (ratios.length > 0) values['disk.filesystemUsedRatio'] = Math.min(1, Math.max(...ratios));
      return values;
    },
  };
}

/** Block devices that are not disks of their own or whose traffic a disk already counts. */
const NOT_A_DISK = /^(loop|ram|zram|dm-|md|nbd|fd|sr|drbd)/;

/** Filesystems that hold no data of a disk. */
const PSEUDO_FILESYSTEMS = new Set([
  'autofs',
  'binfmt_misc',
  'bpf',
  'cgroup',
  'cgroup2',
  'configfs',
  'debugfs',
  'devpts',
  'devtmpfs',
  'efivarfs',
  'fusectl',
  'hugetlbfs',
  'mqueue',
  'nsfs',
  'proc',
  'pstore',
  'ramfs',
  'rpc_pipefs',
  'securityfs',
  'selinuxfs',
  'squashfs',
  'sysfs',
  'tmpfs',
  'tracefs',
]);

/** Linux: `/proc/diskstats` for whole disks (`/sys/block`), `/proc/mounts` and statfs(2); no process spawned. */
export function procDisk(
  paths = { diskstats: '/proc/diskstats', block: '/sys/block', mounts: '/proc/mounts' },
): DiskSource {
  return {
    counters: async () => {
      const [text, disks] = await Promise.all([readFile(paths.diskstats, 'utf8'), readdir(paths.block)]);
      return parseDiskstats(text, new Set(disks.filter((d) => !NOT_A_DISK.test(d))));
    },
    filesystems: async () => {
      const mounts = parseMounts(await readFile(paths.mounts, 'utf8'));
      const usages = await Promise.allSettled(
        mounts.map(async (mount) => {
          const s = await statfs(mount);
          return {
            mount,
            usedBytes: (s.blocks - s.bfree) * s.bsize,
            availableBytes: s.bavail * s.bsize,
          };
        }),
      );
      return usages.flatMap((u) => (u.status === 'fulfilled' ? [u.value] : []));
    },
  };
}

/** Sums sectors read (field 6) and written (field 10) of `disks`; a sector is 512 bytes in this file. */
export function parseDiskstats(text: string, disks: ReadonlySet<string>): DiskCounters | null {
  let readBytes = 0;
  let writeBytes = 0;
  let found = false;
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const name = fields[2];
    if (name === undefined || !disks.has(name)) continue;
    const read = Number(fields[5]);
    const written = Number(fields[9]);
    if (!Number.isFinite(read) || !Number.isFinite(written)) continue;
    readBytes += read * 512;
    writeBytes += written * 512;
    found = true;
  }
  return found ? { readBytes, writeBytes } : null;
}

/** Mount points of real filesystems, each device once (bind mounts and repeats skipped). */
export function parseMounts(text: string): string[] {
  const devices = new Set<string>();
  const mounts: string[] = [];
  for (const line of text.split('\n')) {
    const [device, mount, type] = line.split(' ');
    if (!device || !mount || !type || PSEUDO_FILESYSTEMS.has(type) || devices.has(device)) continue;
    devices.add(device);
    // Spaces, tabs, new lines and backslashes in paths are written as octal escapes (\040).
    mounts.push(
      mount.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8))),
    );
  }
  return mounts;
}

/** Other systems: systeminformation's `fsStats()` and `fsSize()`. */
export function siDisk(): DiskSource {
  return {
    counters: async () => {
      const stats = await si.fsStats();
      return stats && Number.isFinite(stats.rx) ? { readBytes: stats.rx, writeBytes: stats.wx } : null;
    },
    filesystems: async () =>
      (await si.fsSize()).map((f) => ({ mount: f.mount, usedBytes: f.used, availableBytes: f.available })),
  };
}
