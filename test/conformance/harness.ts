/**
 * What every conformance suite shares: the factory an engine module provides, a recording set of
 * handlers, fresh names and a bounded wait. Each piece of the engine contract (src/engines/*.ts)
 * has its own suite in this directory; `runEngineSuite` (engine-suite.ts) runs them all.
 */
import { after, afterEach } from 'node:test';
import type { Publication, QueueItem } from '../../src/core/types.js';
import type { ControlMessage, Engine, EngineHandlers } from '../../src/engines/engine.js';

export interface EngineFactory {
  name: string;
  /** A started-able engine for node `nodeId`; engines made by one factory share cluster state. */
  create(nodeId: number): Promise<Engine>;
  /** Can engines of this factory form a cluster? (memory: no, by design) */
  multiNode: boolean;
  /** Remove everything the run left behind (e.g. Redis keys under the run's prefix). */
  cleanup?(): Promise<void>;
}

export interface Recorder extends EngineHandlers {
  received: { ns: string; p: Publication }[];
  controls: ControlMessage[];
}

export function recorder(counts = { delivered: 1, failed: 0 }): Recorder {
  const r: Recorder = {
    received: [],
    controls: [],
    onPublication(ns, p) {
      r.received.push({ ns, p });
      return counts;
    },
    async onControl(m) {
      r.controls.push(m);
      return { ok: true, result: `handled ${m.type}` };
    },
  };
  return r;
}

export const opts = { historySize: 10 };
export const LIMITS = { topicSize: 5, topicBytes: 1 << 20, maxTopics: 3 };
let uniq = 0;
/** A fresh name per case, so engines sharing state (Redis) never see another case's data. */
export const fresh = (what: string) => `${what}-${process.pid}-${++uniq}`;
export const item = (d: number, t = 'jobs'): QueueItem => ({ node: 1, client: '42', topic: t, data: d });

export async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Call inside a `describe`: returns a function that starts an engine of `factory` for a node;
 * every engine started by a case is closed after it, and the factory cleans up after the suite.
 */
export function engines(
  factory: EngineFactory,
): (nodeId?: number, handlers?: EngineHandlers) => Promise<Engine> {
  const started: Engine[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((e) => e.close()));
  });
  after(async () => {
    await factory.cleanup?.();
  });
  return async (nodeId = 1, handlers: EngineHandlers = recorder()) => {
    const e = await factory.create(nodeId);
    await e.start(handlers);
    started.push(e);
    return e;
  };
}
