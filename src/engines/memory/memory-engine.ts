import { OnceSet } from '../../core/once-set.js';
import type { Publication } from '../../core/types.js';
import type { ClientLedger } from '../client-ledger.js';
import type {
  ControlMessage,
  ControlReply,
  Engine,
  EngineHandlers,
  NodeControl,
  NodeRegistry,
  OnceStore,
} from '../engine.js';
import { MemoryChannelLog, timeBasedFirstOrd } from './memory-channel-log.js';
import { MemoryPresence } from './memory-presence.js';
import { MemoryQueues } from './memory-queues.js';

export { timeBasedFirstOrd } from './memory-channel-log.js';

/**
 * The embedded single-node engine: every piece lives in this process. A test that needs a piece
 * to misbehave overrides that field with a subclass of the piece (built on `deliver`).
 */
export class MemoryEngine implements Engine {
  readonly kind = 'memory';
  readonly log: MemoryChannelLog;
  readonly queues: MemoryQueues = new MemoryQueues();
  readonly control: NodeControl;
  readonly registry: NodeRegistry;
  readonly once: OnceStore;
  /** One process: its gateway clients die with it, so there is never anyone to claim. */
  readonly clients: ClientLedger = {
    hold: async () => undefined,
    release: async () => undefined,
    claimOrphans: async () => [],
  };
  private handlers: EngineHandlers | undefined;
  readonly presence = new MemoryPresence();
  /** Hands a publication to this node's hub (what the channel log calls). */
  protected readonly deliver = (ns: string, p: Publication) => this.handlers?.onPublication(ns, p);

  constructor(
    readonly nodeId: number,
    firstOrd: () => number = timeBasedFirstOrd,
  ) {
    this.log = new MemoryChannelLog(this.deliver, firstOrd);
    this.control = { request: (node, message) => this.answer(node, message) };
    this.registry = { nodes: async () => [this.nodeId] };
    const claimed = new OnceSet();
    this.once = { claim: async (key, ttlMs) => claimed.claim(key, ttlMs) };
  }

  async start(handlers: EngineHandlers): Promise<void> {
    this.handlers = handlers;
  }

  async close(): Promise<void> {
    this.handlers = undefined;
    await this.presence.close();
  }

  ready(): boolean {
    return true;
  }

  private async answer(nodeId: number, message: ControlMessage): Promise<ControlReply> {
    if (nodeId !== this.nodeId || !this.handlers) {
      return { ok: false, error: `node ${nodeId} is not part of this server`, code: 'unknown_client' };
    }
    return this.handlers.onControl(message);
  }
}
