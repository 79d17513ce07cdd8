import type { Redis } from 'ioredis';
import type { ClientLedger, HeldClient } from '../client-ledger.js';
import { unavailable } from './errors.js';
import type { Keys } from './keys.js';

/** How the claim script is called (ioredis custom command, see connection.ts). */
export interface LedgerScripts {
  clientsClaim(nodes: string, nodePrefix: string, heldPrefix: string, self: string): Promise<string[]>;
}

/** What one hash field holds: the entry without its client id (the field name). */
interface Stored {
  n: string;
  t: string;
  c: HeldClient['context'];
}

/**
 * The ledger in Redis: `gwheld:<node>` hashes client id → entry, `gwnodes` the node ids with
 * entries. The claim is one script (clients-claim.lua): it takes a dead node's whole hash, so two
 * survivors sweeping at once never both get a client.
 */
export class RedisClientLedger implements ClientLedger {
  /** Entries of this id's previous process, claimed at start, handed out by the next claim. */
  private leftovers: HeldClient[] = [];

  constructor(
    private readonly cmd: Redis & LedgerScripts,
    private readonly keys: Keys,
    private readonly nodeId: number,
  ) {}

  async hold(entry: HeldClient): Promise<void> {
    const stored: Stored = { n: entry.namespace, t: entry.topic, c: entry.context };
    try {
      await this.cmd
        .multi()
        .hset(this.keys.heldClients(this.nodeId), entry.client, JSON.stringify(stored))
        .sadd(this.keys.heldNodes(), String(this.nodeId))
        .exec();
    } catch (err) {
      throw unavailable('recording a gateway client', err);
    }
  }

  async release(client: string): Promise<void> {
    try {
      await this.cmd.hdel(this.keys.heldClients(this.nodeId), client);
    } catch (err) {
      throw unavailable('releasing a gateway client', err);
    }
  }

  /**
   * At engine start, before this process holds anyone: what this node id's previous process held
   * (it died, or was killed, and came back before its registry entry expired) is an orphan too.
   */
  async start(): Promise<void> {
    this.leftovers = await this.claim(String(this.nodeId));
  }

  /**
   * Graceful stop: this node pushed (or tried to push) its clients' close items itself when it
   * closed them, so nothing is left for a survivor to repeat.
   */
  async close(): Promise<void> {
    await this.cmd
      .multi()
      .del(this.keys.heldClients(this.nodeId))
      .srem(this.keys.heldNodes(), String(this.nodeId))
      .exec()
      .catch(() => undefined);
  }

  async claimOrphans(): Promise<HeldClient[]> {
    const out = this.leftovers.splice(0);
    out.push(...(await this.claim('')));
    return out;
  }

  private async claim(self: string): Promise<HeldClient[]> {
    let flat: string[];
    try {
      flat = await this.cmd.clientsClaim(
        this.keys.heldNodes(),
        this.keys.nodePrefix(),
        this.keys.heldClientsPrefix(),
        self,
      );
    } catch (err) {
      throw unavailable('claiming the gateway clients of departed nodes', err);
    }
    const out: HeldClient[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      try {
        const s = JSON.parse(flat[i + 1]!) as Stored;
        out.push({ client: flat[i]!, namespace: s.n, topic: s.t, context: s.c });
      } catch {
        // an unreadable entry names no one to close
      }
    }
    return out;
  }
}
