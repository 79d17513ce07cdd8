import type { Client } from './connection.js';
import type { Keys } from './keys.js';

/**
 * Keeps a node from publishing on a Redis master it has not checked yet. After every
 * (re)connect of the command connection the node reads the master's replication id and runs
 * MASTER_CHECK (lua.ts): if a failover promoted a replica since the cluster last looked, the ord
 * floor is raised before this node's first publish there, so no ord the old master handed out
 * (and subscribers saw) is handed out again. Until the check has run the node is not ready and
 * refuses publications.
 */
export class MasterGuard {
  private checked = false;
  /** Bumped on every close, so a check that finishes after a newer disconnect counts for nothing. */
  private generation = 0;

  constructor(
    private readonly cmd: Client,
    private readonly keys: Keys,
    private readonly onRaised: (replid: string) => void,
    onError: (err: unknown, what: string) => void,
  ) {
    cmd.on('close', () => {
      this.checked = false;
      this.generation++;
    });
    cmd.on('ready', () => void this.check().catch((err) => onError(err, 'checking the master')));
  }

  /** The master this connection talks to has been checked since the connection came up. */
  get ok(): boolean {
    return this.checked && this.cmd.status === 'ready';
  }

  async check(): Promise<void> {
    const generation = this.generation;
    const info = await this.cmd.info('replication');
    const replid = /^master_replid:(\w+)/m.exec(info)?.[1];
    if (!replid) throw new Error('INFO replication has no master_replid');
    const raised = (await this.cmd.sbMasterCheck(this.keys.replid(), this.keys.ordBase(), replid)) === 1;
    if (generation !== this.generation) return;
    this.checked = true;
    if (raised) this.onRaised(replid);
  }
}
