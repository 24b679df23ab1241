import type { PackedItems } from './writes.js';

/* What the main thread and the write thread (write-thread.ts) send each other. */

/** A request to the write thread; `id` pairs it with its answer. */
export type WriteRequest =
  | { id: number; op: 'write'; items: PackedItems }
  | { id: number; op: 'merge'; all: boolean }
  | { id: number; op: 'retention'; retention: number }
  | { id: number; op: 'close' };

/**
 * The answer: per written item its error message (`null`: committed), or a merge's or retention's count,
 * or the error that stopped the operation.
 */
export type WriteAnswer =
  | { id: number; errors: (string | null)[] }
  | { id: number; value: number }
  | { id: number; error: string };
