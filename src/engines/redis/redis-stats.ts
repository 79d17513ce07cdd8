/**
 * Process-wide counts of the Redis engine's safety nets and publish batching, read by the metrics
 * scrape (src/ops/metrics.ts, docs/operations.md "Metrics"). Plain numbers in a module without
 * ioredis, so the memory engine's processes can read them (all zero) without loading the client.
 */
export const redisStats = {
  /** Commands that got no answer within engine.command_timeout_ms. */
  commandTimeouts: 0,
  /** Publications Redis skipped because the script started after their deadline. */
  publishesExpired: 0,
  /** Queue pops Redis skipped for the same reason (nothing was taken from the topic). */
  popsExpired: 0,
  /** Readiness probes that took longer than engine.ping_threshold_ms (or never answered). */
  slowProbes: 0,
  /** Round trip of the latest readiness probe that answered, ms. */
  lastProbeMs: 0,
  /** Publish script calls, and the publications they carried (equal with batching off). */
  publishCalls: 0,
  publications: 0,
};
