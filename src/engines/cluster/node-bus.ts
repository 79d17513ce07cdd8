/**
 * NodeBus: the transport a cluster engine provides for node-addressed messages. The shared
 * control layer (control-bus.ts) builds request/response, timeouts and delivery counts on top of
 * it; a backend (Redis pub/sub, NATS subjects, Postgres LISTEN/NOTIFY) implements only this.
 */
export interface NodeBus {
  /**
   * Hand `payload` to node `node`'s listener. Resolves with how many listeners received it (0: no
   * such node is listening right now), rejects if the transport is unreachable.
   */
  send(node: number, payload: string): Promise<number>;
  /** Start receiving the messages sent to this node; resolves once they are guaranteed to arrive. */
  listen(onMessage: (payload: string) => void): Promise<void>;
  /** Stop receiving. */
  unlisten(): Promise<void>;
}
