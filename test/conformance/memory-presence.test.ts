import { MemoryPresence } from '../../src/engines/memory/memory-presence.js';
import { runPresenceSuite } from './presence-suite.js';

// One process holds every member: nothing is shared, nothing can die without the store itself.
runPresenceSuite({
  name: 'memory',
  multiNode: false,
  create: async (nodeId) => ({ store: new MemoryPresence(), nodeId }),
  cleanup: async () => {},
});
