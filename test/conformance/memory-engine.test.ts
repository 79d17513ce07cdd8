import { MemoryEngine } from '../../src/engines/memory/memory-engine.js';
import { runEngineSuite } from './engine-suite.js';

runEngineSuite({
  name: 'memory',
  multiNode: false,
  create: async (nodeId) => new MemoryEngine(nodeId),
});
