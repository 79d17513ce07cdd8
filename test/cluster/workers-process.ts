import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { track } from '../helpers/children.js';
import { type Endpoint, MAIN, nodeConfig, until } from './helpers.js';

/** One worker as the primary reported it ("worker listening"). */
export interface WorkerInfo {
  pid: number;
  nodeId: number;
}

/** `switchboard serve --workers N` as a child process, read through its log lines. */
export class WorkersProcess implements Endpoint {
  /** Every worker that came up, in order (restarted ones included). */
  readonly started: WorkerInfo[] = [];
  /** Log lines of the primary and of the workers, parsed. */
  readonly log: { msg?: string; [key: string]: unknown }[] = [];
  url = '';
  private output = '';
  readonly exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    let partial = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      this.output += chunk.toString();
      partial += chunk.toString();
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) this.onLine(line);
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      this.output += chunk.toString();
    });
  }

  /** Start with engine redis under `prefix`; resolves once every worker listens. */
  static async start(options: { prefix: string; dir: string; workers: number }): Promise<WorkersProcess> {
    const file = join(options.dir, 'workers.yaml');
    writeFileSync(file, JSON.stringify(nodeConfig({ nodeId: 1, prefix: options.prefix })));
    const child = track(
      spawn(process.execPath, [MAIN, 'serve', '--config', file, '--workers', String(options.workers)], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, SWITCHBOARD_CONFIG: '' },
      }),
    );
    const p = new WorkersProcess(child);
    let exited = false;
    void p.exited.then(() => {
      exited = true;
    });
    await until(() => p.url !== '' || exited, 'the workers to listen', 30_000).catch((err) => {
      throw new Error(`${(err as Error).message}:\n${p.output}`);
    });
    if (exited) throw new Error(`serve --workers exited:\n${p.output}`);
    return p;
  }

  private onLine(line: string): void {
    let entry: { msg?: string; url?: string; worker_pid?: number; node_id?: number };
    try {
      entry = JSON.parse(line);
    } catch {
      return; // not a log line
    }
    this.log.push(entry);
    if (entry.msg === 'worker listening')
      this.started.push({ pid: entry.worker_pid!, nodeId: entry.node_id! });
    if (entry.msg === 'switchboard workers listening') this.url = entry.url!;
  }

  wsUrl(pathAndQuery: string): string {
    return `${this.url.replace(/^http/, 'ws')}${pathAndQuery}`;
  }

  get primaryPid(): number {
    return this.child.pid!;
  }

  /** SIGTERM to the primary; resolves with its exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }

  /** Last resort for a test that failed half-way: nothing may outlive the test file. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    for (const w of this.started) {
      try {
        process.kill(w.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    this.child.kill('SIGKILL');
    await this.exited;
  }
}
