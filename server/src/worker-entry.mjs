// The entry of a worker thread whose code is TypeScript run by tsx, as the server's is: it registers
// tsx in the thread (Node 20 does not apply `--import tsx` from a worker's execArgv) and imports
// `workerData.entry`. Compiled JavaScript (`typescript: false`) is imported as it is.
import { workerData } from 'node:worker_threads';

const { entry, typescript } = workerData;
if (typescript) (await import('tsx/esm/api')).register();
await import(entry);
