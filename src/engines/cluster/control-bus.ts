import { randomBytes } from 'node:crypto';
import { HubError, HubErrorCode } from '../../core/errors.js';
import type { DeliveryCount } from '../../core/types.js';
import type { ControlMessage, ControlReply, EngineHandlers, NodeControl } from '../engine.js';
import type { NodeBus } from './node-bus.js';

/**
 * Node-addressed requests, replies and delivery counts for any cluster backend, over its NodeBus.
 * Every node listens on the bus for as long as it runs; three kinds of message travel on it:
 * - `req` {id, from, m}: a ControlMessage for this node; answered with `res` to node `from`;
 * - `res` {id, r}: the reply to a request this node made;
 * - `cnt` {id, s, f}: one node's delivery counts for a publication this node made with `count`.
 *
 * The bus says how many listeners received a message, which tells at once whether the target
 * node is alive: an unknown node is answered immediately, a silent one after the timeout. Ids
 * carry a per-process random part, so a reply meant for a previous process with the same node id
 * is never mistaken for ours.
 */
type Wire =
  | { k: 'req'; id: string; from: number; m: ControlMessage }
  | { k: 'res'; id: string; r: ControlReply }
  // Delivery counts between nodes keep their 0.1.0 short keys (delivered, failed).
  | { k: 'cnt'; id: string; s: number; f: number };

interface CountGather {
  delivered: number;
  failed: number;
  answers: number;
  expected: number | undefined;
  done(): void;
}

export class ControlBus implements NodeControl {
  private readonly pending = new Map<string, (reply: ControlReply) => void>();
  private readonly counts = new Map<string, CountGather>();
  private readonly instance = randomBytes(4).toString('hex');
  private seq = 0;

  constructor(
    private readonly bus: NodeBus,
    readonly nodeId: number,
    private readonly handlers: () => EngineHandlers | undefined,
    private readonly timeouts: { controlMs: number; countMs: number },
  ) {}

  private readonly onWire = (raw: string): void => {
    const w = JSON.parse(raw) as Wire;
    if (w.k === 'req') void this.answer(w);
    else if (w.k === 'res') this.pending.get(w.id)?.(w.r);
    else if (w.k === 'cnt') this.addCount(w.id, { delivered: w.s, failed: w.f });
  };

  start(): Promise<void> {
    return this.bus.listen(this.onWire);
  }

  async stop(): Promise<void> {
    await this.bus.unlisten();
    for (const resolve of [...this.pending.values()])
      resolve({ ok: false, error: 'this node is shutting down' });
    for (const g of [...this.counts.values()]) g.done();
  }

  nextId(): string {
    return `${this.nodeId}.${this.instance}.${++this.seq}`;
  }

  /** Send a control message to a node and wait for its reply (bounded); this node answers itself. */
  request(node: number, message: ControlMessage): Promise<ControlReply> {
    if (node === this.nodeId) {
      const handlers = this.handlers();
      return handlers
        ? handlers.onControl(message)
        : Promise.resolve({ ok: false, error: 'node is not started' });
    }
    const id = this.nextId();
    return new Promise((resolve) => {
      const settle = (reply: ControlReply) => {
        if (!this.pending.delete(id)) return;
        clearTimeout(timer);
        resolve(reply);
      };
      const timer = setTimeout(
        () =>
          settle({ ok: false, error: `node ${node} did not answer within ${this.timeouts.controlMs} ms` }),
        this.timeouts.controlMs,
      );
      this.pending.set(id, settle);
      const wire: Wire = { k: 'req', id, from: this.nodeId, m: message };
      this.bus.send(node, JSON.stringify(wire)).then(
        (receivers) => {
          if (receivers === 0) {
            settle({
              ok: false,
              error: `node ${node} is not part of the cluster`,
              code: HubErrorCode.unknownClient,
            });
          }
        },
        (err: unknown) =>
          settle({
            ok: false,
            // The bus says what failed in its own words (a HubError); anything else is wrapped.
            error:
              err instanceof HubError
                ? err.message
                : `routing to node ${node} failed: ${err instanceof Error ? err.message : String(err)}`,
            code: HubErrorCode.engineUnavailable,
          }),
      );
    });
  }

  private async answer(w: Extract<Wire, { k: 'req' }>): Promise<void> {
    let reply: ControlReply;
    try {
      const handlers = this.handlers();
      reply = handlers ? await handlers.onControl(w.m) : { ok: false, error: 'node is not started' };
    } catch (err) {
      reply = { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    const res: Wire = { k: 'res', id: w.id, r: reply };
    // If Redis is gone the requester times out: nothing better to do with the reply.
    await this.bus.send(w.from, JSON.stringify(res)).catch(() => undefined);
  }

  // ---- delivery counts (mesh.publish s/f over the cluster) -----------------------------------

  /**
   * Start gathering counts for a publication about to be made with request id `id` (registered
   * before publishing: an answer may overtake the publish script's own reply). `wait(expected)`
   * resolves once `expected` answers arrived — the number of receivers the PUBLISH reported — or
   * after the count timeout, each missing answer then counting as one failed subscriber: a node
   * is subscribed only while it has at least one, and we cannot know how many more it had.
   */
  gatherCounts(id: string): { wait(expected: number): Promise<DeliveryCount>; cancel(): void } {
    let resolve!: (c: DeliveryCount) => void;
    const result = new Promise<DeliveryCount>((r) => {
      resolve = r;
    });
    let timer: NodeJS.Timeout | undefined;
    const g: CountGather = {
      delivered: 0,
      failed: 0,
      answers: 0,
      expected: undefined,
      done: () => {
        if (!this.counts.delete(id)) return;
        clearTimeout(timer);
        const missing = Math.max(0, (g.expected ?? 0) - g.answers);
        resolve({ delivered: g.delivered, failed: g.failed + missing });
      },
    };
    this.counts.set(id, g);
    return {
      wait: (expected) => {
        g.expected = expected;
        if (g.answers >= expected) g.done();
        else timer = setTimeout(g.done, this.timeouts.countMs);
        return result;
      },
      cancel: () => {
        this.counts.delete(id);
        clearTimeout(timer);
      },
    };
  }

  /** This node's counts for a publication some node (maybe this one) waits on. */
  answerCount(request: { id: string; node: number }, counts: DeliveryCount): void {
    if (request.node === this.nodeId && this.counts.has(request.id)) {
      this.addCount(request.id, counts);
      return;
    }
    const wire: Wire = { k: 'cnt', id: request.id, s: counts.delivered, f: counts.failed };
    void this.bus.send(request.node, JSON.stringify(wire)).catch(() => undefined);
  }

  private addCount(id: string, counts: DeliveryCount): void {
    const g = this.counts.get(id);
    if (!g) return; // too late: the publisher already counted this node as failed
    g.delivered += counts.delivered;
    g.failed += counts.failed;
    g.answers++;
    if (g.expected !== undefined && g.answers >= g.expected) g.done();
  }
}
