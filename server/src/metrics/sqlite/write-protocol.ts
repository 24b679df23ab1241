import type { PackedItems } from './writes.js';

/* What the main thread and the write thread (write-thread.ts) send each other. */

/** A request to the write thread; it arrives with an `id` (`ThreadClient`) that pairs it with its answer. */
export type WriteRequest =
  | { op: 'write'; items: PackedItems }
  | { op: 'merge'; all: boolean }
  | { op: 'retention'; retention: number }
  | { op: 'close' };

/**
 * The answer: per written item its error message (`null`: committed), or a merge's or retention's count,
 * or the error that stopped the operation.
 */
export type WriteAnswer =
  | { id: number; errors: (string | null)[] }
  | { id: number; value: number }
  | { id: number; error: string };
