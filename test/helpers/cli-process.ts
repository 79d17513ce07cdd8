import type { ChildProcess } from 'node:child_process';

/** A `switchboard serve` child's log lines as they arrive, parsed (pino JSON, one per line). */
export interface ServeOutput {
  /** The URL of the "switchboard listening" line. */
  url: string;
  /** Everything the child wrote to stdout so far. */
  stdout: () => string;
  /** Everything the child wrote to stderr so far. */
  stderr: () => string;
  /** The JSON log lines written so far. */
  logs: () => Array<Record<string, unknown>>;
}

/** Reads the child's pino lines until "switchboard listening"; keeps collecting after that. */
export function waitForListening(child: ChildProcess, timeoutMs = 15000): Promise<ServeOutput> {
  let text = '';
  let stderr = '';
  const logs = (): Array<Record<string, unknown>> =>
    text
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return []; // a partial line: the rest is still on its way
        }
      });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no listening line in time:\n${text}\n${stderr}`)),
      timeoutMs,
    );
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      const listening = logs().find((l) => l.msg === 'switchboard listening' && typeof l.url === 'string');
      if (listening) {
        clearTimeout(timer);
        resolve({ url: listening.url as string, stdout: () => text, stderr: () => stderr, logs });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited early (${code}):\n${text}\n${stderr}`));
    });
  });
}

export function exitCode(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}
