import { describe, expect, it } from 'vitest';
import { cpuCollector, parseProcStat, procStat } from '../src/collectors/cpu.js';
import { diskCollector, parseDiskstats, parseMounts } from '../src/collectors/disk.js';
import { networkCollector, parseProcNetDev } from '../src/collectors/network.js';

const procNetDev = (
  eth0: [number, number],
  docker: [number, number] = [0, 0],
) => `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 9000 90 0 0 0 0 0 0 9000 90 0 0 0 0 0 0
  eth0: ${eth0[0]} 10 0 0 0 0 0 0 ${eth0[1]} 10 0 0 0 0 0 0
  wlan0: 500 5 0 0 0 0 0 0 100 1 0 0 0 0 0 0
docker0: ${docker[0]} 1 0 0 0 0 0 0 ${docker[1]} 1 0 0 0 0 0 0
vethab12: 7 1 0 0 0 0 0 0 7 1 0 0 0 0 0 0
`;

describe('the network collector', () => {
  it('parses /proc/net/dev', () => {
    expect(parseProcNetDev(procNetDev([1_000, 2_000]))).toEqual([
      { name: 'lo', rxBytes: 9000, txBytes: 9000 },
      { name: 'eth0', rxBytes: 1_000, txBytes: 2_000 },
      { name: 'wlan0', rxBytes: 500, txBytes: 100 },
      { name: 'docker0', rxBytes: 0, txBytes: 0 },
      { name: 'vethab12', rxBytes: 7, txBytes: 7 },
    ]);
  });

  it('gives rates per physical interface and summed, skipping virtual ones and counters that went back', async () => {
    let text = procNetDev([1_000, 2_000], [0, 0]);
    let now = 10_000;
    const collector = networkCollector({ counters: async () => parseProcNetDev(text) }, () => now);
    expect(await collector.collect()).toEqual({});
    text = procNetDev([3_000, 2_500], [9e9, 9e9]).replace('wlan0: 500', 'wlan0: 1500');
    now += 2_000;
    expect(await collector.collect()).toEqual({
      'network.eth0.rx': 1_000,
      'network.eth0.tx': 250,
      'network.wlan0.rx': 500,
      'network.wlan0.tx': 0,
      'network.rxBytesPerSecond': 1_500,
      'network.txBytesPerSecond': 250,
    });
    // eth0's counters were reset (a driver reload): skipped once; wlan0 goes on.
    text = procNetDev([10, 10]).replace('wlan0: 500', 'wlan0: 2500');
    now += 1_000;
    expect(await collector.collect()).toEqual({
      'network.wlan0.rx': 1_000,
      'network.wlan0.tx': 0,
      'network.rxBytesPerSecond': 1_000,
      'network.txBytesPerSecond': 0,
    });
  });
});

describe('the disk collector', () => {
  const diskstats = (
    sdaRead: number,
    sdaWritten: number,
  ) => `   8       0 sda 100 0 ${sdaRead} 0 50 0 ${sdaWritten} 0 0 0 0 0 0 0 0
   8       1 sda1 100 0 ${sdaRead} 0 50 0 ${sdaWritten} 0 0 0 0 0 0 0 0
   7       0 loop0 5 0 999 0 0 0 0 0 0 0 0 0 0 0 0
 253       0 dm-0 1 0 999 0 1 0 999 0 0 0 0 0 0 0 0
`;

  it('sums sectors of whole disks only (512 bytes each)', () => {
    expect(parseDiskstats(diskstats(10, 20), new Set(['sda']))).toEqual({
      readBytes: 5_120,
      writeBytes: 10_240,
    });
    expect(parseDiskstats(diskstats(10, 20), new Set(['nvme0n1']))).toBeNull();
  });

  it('reads mount points of real filesystems once per device, unescaping their names', () => {
    const mounts = [
      'proc /proc proc rw 0 0',
      '/dev/sda1 / ext4 rw 0 0',
      'tmpfs /run tmpfs rw 0 0',
      '/dev/sda1 /var/lib/docker ext4 rw 0 0',
      '/dev/sdb1 /mnt/my\\040disk xfs rw 0 0',
      'cgroup2 /sys/fs/cgroup cgroup2 rw 0 0',
    ].join('\n');
    expect(parseMounts(mounts)).toEqual(['/', '/mnt/my disk']);
  });

  it('gives read and write rates and the fullest filesystem', async () => {
    let counters = { readBytes: 1_000, writeBytes: 1_000 };
    let now = 0;
    const collector = diskCollector(
      {
        counters: async () => counters,
        filesystems: async () => [
          { mount: '/', usedBytes: 30, availableBytes: 70 },
          { mount: '/data', usedBytes: 90, availableBytes: 10 },
          { mount: '/empty', usedBytes: 0, availableBytes: 0 },
        ],
      },
      () => now,
    );
    expect(await collector.collect()).toEqual({ 'disk.filesystemUsedRatio': 0.9 });
    counters = { readBytes: 5_000, writeBytes: 3_000 };
    now = 500;
    expect(await collector.collect()).toEqual({
      'disk.readBytesPerSecond': 8_000,
      'disk.writeBytesPerSecond': 4_000,
      'disk.filesystemUsedRatio': 0.9,
    });
  });
});

describe('the CPU collector on Linux', () => {
  const stat = (cpu0: number[], cpu1: number[]) => {
    const sum = cpu0.map((v, i) => v + (cpu1[i] as number));
    return `cpu  ${sum.join(' ')} 0 0\ncpu0 ${cpu0.join(' ')} 0 0\ncpu1 ${cpu1.join(' ')} 0 0\nintr 12345 0 0\nctxt 999\n`;
  };

  it('reads busy (user nice system irq softirq steal) and idle (idle iowait) from /proc/stat', () => {
    //            user nice system idle iowait irq softirq steal
    const cpu0 = [100, 10, 50, 800, 20, 5, 5, 10];
    const cpu1 = [0, 0, 0, 1000, 0, 0, 0, 0];
    expect(parseProcStat(stat(cpu0, cpu1))).toEqual({
      total: { busy: 180, idle: 1820 },
      cores: [
        { busy: 180, idle: 820 },
        { busy: 0, idle: 1000 },
      ],
    });
  });

  it('gives the busy share of the time since the previous sample, overall and per core', async () => {
    let text = stat([0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0]);
    const collector = cpuCollector({ times: async () => parseProcStat(text) });
    expect(await collector.collect()).toEqual({});
    text = stat([25, 0, 25, 40, 10, 0, 0, 0], [100, 0, 0, 0, 0, 0, 0, 0]);
    expect(await collector.collect()).toEqual({
      'cpu.utilization': 0.75,
      'cpu.cores.0': 0.5,
      'cpu.cores.1': 1,
    });
    // No time passed: nothing to say.
    expect(await collector.collect()).toEqual({});
  });

  it("reads this machine's /proc/stat", async () => {
    const source = procStat();
    const { total, cores } = await source.times();
    expect(total.busy + total.idle).toBeGreaterThan(0);
    expect(cores.length).toBeGreaterThan(0);
  });
});
