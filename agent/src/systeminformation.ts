/**
 * The functions of systeminformation the agent calls, imported from their own modules of it: its index
 * loads all twenty (733 kB of the `npm start` bundle, four fifths of it never called here), which cost
 * every start to read and compile. The types are the index's.
 */
import type Systeminformation from 'systeminformation';
import { fsSize as fsSizeOf, fsStats as fsStatsOf } from 'systeminformation/lib/filesystem.js';
import { mem as memOf } from 'systeminformation/lib/memory.js';
import { networkStats as networkStatsOf } from 'systeminformation/lib/network.js';
import { osInfo as osInfoOf } from 'systeminformation/lib/osinfo.js';

type Si = typeof Systeminformation;

export const si: Pick<Si, 'mem' | 'fsSize' | 'fsStats' | 'networkStats' | 'osInfo'> = {
  mem: memOf as Si['mem'],
  fsSize: fsSizeOf as Si['fsSize'],
  fsStats: fsStatsOf as Si['fsStats'],
  networkStats: networkStatsOf as Si['networkStats'],
  osInfo: osInfoOf as Si['osInfo'],
};
