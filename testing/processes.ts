import type { ChildProcess } from 'node:child_process';

/**
 * Stops a child process as its owner would be: SIGTERM, then SIGKILL if `exit` (a promise settled on its
 * `exit` event) has not settled after `graceMs`. Resolves with what `exit` resolves to.
 */
export async function terminate<T>(child: ChildProcess, exit: Promise<T>, graceMs = 10_000): Promise<T> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    return await exit;
  } finally {
    clearTimeout(timer);
  }
}
