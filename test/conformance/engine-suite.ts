/**
 * Every piece of the engine contract, each with its own suite: an engine module's conformance
 * test calls `runEngineSuite(factory)` and runs them all unchanged.
 */
import { runChannelLogSuite } from './channel-log-suite.js';
import { runClientLedgerSuite } from './client-ledger-suite.js';
import type { EngineFactory } from './harness.js';
import { runNodeControlSuite } from './node-control-suite.js';
import { runOnceStoreSuite } from './once-store-suite.js';
import { runQueueStoreSuite } from './queue-store-suite.js';

export type { EngineFactory } from './harness.js';

export function runEngineSuite(factory: EngineFactory): void {
  runChannelLogSuite(factory);
  runNodeControlSuite(factory);
  runOnceStoreSuite(factory);
  runQueueStoreSuite(factory);
  runClientLedgerSuite(factory);
}
