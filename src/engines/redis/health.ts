import type { Logger } from 'pino';
import type { Client } from './connection.js';
import { redisStats } from './redis-stats.js';

/** Samples whose round trip took longer than this say too little about the offset to be kept. */
const CLOCK_SAMPLE_MAX_RTT_MS = 50;

/**
 * Redis' clock as this node sees it: the offset from the node's clock, measured with TIME
 * (midpoint of the round trip). Publication deadlines are written on Redis' clock because the
 * publish script checks them against `TIME`; the error of the estimate is at most half a round
 * trip of the sample it came from.
 */
export class RedisClock {
  private offsetMs = 0;

  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** Take one sample from a `TIME` reply read `t0`..`t1` (node ms); false if discarded. */
  sample(time: [string, string], t0: number, t1: number): boolean {
    if (t1 - t0 > CLOCK_SAMPLE_MAX_RTT_MS) return false;
    const redisMs = Number(time[0]) * 1000 + Number(time[1]) / 1000;
    this.offsetMs = redisMs - (t0 + t1) / 2;
    return true;
  }

  async sync(cmd: Client): Promise<void> {
    const t0 = Date.now();
    const time = (await cmd.time()) as unknown as [string, string];
    this.sample(time, t0, Date.now());
  }
}

export interface ProbeOptions {
  intervalMs: number;
  thresholdMs: number;
  nodeId: number;
  logger?: Logger;
}

/**
 * The readiness probe: every `intervalMs` one `TIME` (as cheap as PING, and it also keeps the
 * clock offset fresh) on the command connection. While a probe has been waiting longer than
 * `thresholdMs`, or the last one took longer, Redis counts as slow and the node as not ready
 * (/readyz 503), so a balancer takes the node out while Redis is hung or overloaded, not only
 * when the connection drops. One log line per change, not per probe.
 */
export class RedisProbe {
  private timer: NodeJS.Timeout | undefined;
  private inFlight = false;
  private slowSince: number | undefined;

  constructor(
    private readonly cmd: Client,
    private readonly clock: RedisClock,
    private readonly o: ProbeOptions,
  ) {}

  /** The latest probe answered within the threshold and none is overdue. */
  get healthy(): boolean {
    return this.slowSince === undefined;
  }

  start(): void {
    this.timer = setInterval(() => this.probe(), this.o.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private probe(): void {
    // A probe still waiting says all there is to say; a disconnected client is readiness' other
    // half (the connection status), not a slow Redis.
    if (this.inFlight || this.cmd.status !== 'ready') return;
    this.inFlight = true;
    const t0 = Date.now();
    const overdue = setTimeout(() => this.markSlow(Date.now() - t0), this.o.thresholdMs);
    overdue.unref();
    this.cmd
      .time()
      .then(
        (time) => {
          const t1 = Date.now();
          redisStats.lastProbeMs = t1 - t0;
          this.clock.sample(time as unknown as [string, string], t0, t1);
          if (t1 - t0 > this.o.thresholdMs) this.markSlow(t1 - t0);
          else this.markHealthy(t1 - t0);
        },
        () => this.markSlow(Date.now() - t0),
      )
      .finally(() => {
        clearTimeout(overdue);
        this.inFlight = false;
      });
  }

  private markSlow(waitedMs: number): void {
    if (this.slowSince !== undefined) return;
    this.slowSince = Date.now();
    redisStats.slowProbes++;
    this.o.logger?.warn(
      { node: this.o.nodeId, waited_ms: waitedMs, threshold_ms: this.o.thresholdMs },
      'redis engine: Redis answers slower than engine.ping_threshold_ms; not ready until it is fast again',
    );
  }

  private markHealthy(tookMs: number): void {
    if (this.slowSince === undefined) return;
    this.o.logger?.info(
      { node: this.o.nodeId, slow_ms: Date.now() - this.slowSince, probe_ms: tookMs },
      'redis engine: Redis answers in time again; ready',
    );
    this.slowSince = undefined;
  }
}
