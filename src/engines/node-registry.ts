/**
 * NodeRegistry: which nodes make up the cluster. One piece of the engine (engine.ts); its
 * conformance suite is test/conformance/node-registry-suite.ts.
 */
export interface NodeRegistry {
  /**
   * Ids of the nodes currently in the cluster, ascending, this node included once started (a
   * single-node engine answers `[nodeId]`). May list a node that died moments ago (until its
   * registration expires): a control request to it then fails in bounded time. Rejects if shared
   * state is unreachable.
   */
  nodes(): Promise<number[]>;
}
