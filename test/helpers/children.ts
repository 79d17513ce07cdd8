/**
 * Nothing a test file starts may outlive it. Every server process the cluster tests spawn
 * (redis-server, Sentinel, `switchboard serve`) is registered here; when the test process ends —
 * normally, through an uncaught failure, or by a signal (the test runner's timeout, Ctrl-C) — every
 * one still running gets SIGKILL. The tests' own after hooks stop them gracefully first; this is
 * the net below a hook that failed, hung or never ran.
 */
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();

function killAll(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

process.once('exit', killAll);
for (const [signal, code] of [
  ['SIGTERM', 143],
  ['SIGINT', 130],
  ['SIGHUP', 129],
] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(code);
  });
}

/** Register `child` to be killed with the test process; returns it. */
export function track<T extends ChildProcess>(child: T): T {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/**
 * Ask `child` to stop (SIGTERM), and SIGKILL it if it has not exited within `graceMs`: a stop in
 * an after hook must end, whatever state a failed test left the process in.
 */
export async function stopChild(
  child: ChildProcess,
  exited: Promise<unknown>,
  graceMs = 10_000,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), graceMs);
  });
  const outcome = await Promise.race([exited, late]);
  clearTimeout(timer);
  if (outcome === 'late') {
    child.kill('SIGKILL');
    await exited;
  }
}
