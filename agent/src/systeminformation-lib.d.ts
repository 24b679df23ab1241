// systeminformation's own modules (lib/*.js, CommonJS), which its index re-exports; typed in
// systeminformation.ts with the index's types.
declare module 'systeminformation/lib/filesystem.js' {
  export const fsSize: unknown;
  export const fsStats: unknown;
}
declare module 'systeminformation/lib/memory.js' {
  export const mem: unknown;
}
declare module 'systeminformation/lib/network.js' {
  export const networkStats: unknown;
}
declare module 'systeminformation/lib/osinfo.js' {
  export const osInfo: unknown;
}
