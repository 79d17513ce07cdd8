// The fan-out bench (bench/) in miniature: proves the harness starts its server children, connects
// and subscribes its clients, and counts every delivery. Benchmarks are not tests: no timing here.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BenchOptions, runScenario } from '../../bench/measure.js';
import { SCENARIOS } from '../../bench/scenarios.js';

const TINY: BenchOptions = {
  subscribers: 50,
  messages: 200,
  reps: 1,
  bytes: 100,
  pacedRate: 2000,
  pacedSeconds: 0.5,
  stallMs: 10_000,
};

describe('fan-out bench smoke run', () => {
  for (const key of ['ws', 'site', 'pusher'] as const) {
    it(`${key}: every subscriber receives every burst and paced message`, async () => {
      const scenario = SCENARIOS.find((s) => s.key === key)!;
      const lines: string[] = [];
      const result = await runScenario(scenario, TINY, { switchboardExecArgv: [] }, (l) => lines.push(l));
      assert.equal(result.error, undefined, lines.join('\n'));
      assert.equal(result.skipped, undefined);
      assert.equal(result.bursts.length, 1);
      const [burst] = result.bursts;
      assert.equal(burst!.expected, TINY.subscribers * TINY.messages);
      assert.equal(burst!.delivered, burst!.expected);
      assert.ok(result.latency);
      assert.equal(result.latency.samples, result.latency.expected);
      assert.equal(result.latency.expected, TINY.subscribers * 20); // 2,000/s ÷ 50 subscribers × 0.5 s = 20 messages
    });
  }
});
