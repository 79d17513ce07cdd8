/**
 * Client ids are 64-bit snowflakes (docs/architecture.md): 41 bits of ms since the Twitter epoch, 10 bits of
 * node id, 12 bits of sequence. The node bits let a cluster route a send to the node holding the
 * connection without any lookup. Written as decimal strings because JSON numbers lose precision
 * past 2^53.
 */
export const SNOWFLAKE_EPOCH = 1288834974657n;
const NODE_BITS = 10n;
const SEQ_BITS = 12n;
const MAX_SEQ = (1n << SEQ_BITS) - 1n;
export const MAX_NODE_ID = Number((1n << NODE_BITS) - 1n);

export class SnowflakeGenerator {
  private lastMs = -1n;
  private seq = 0n;
  private readonly node: bigint;

  constructor(nodeId: number) {
    if (!Number.isInteger(nodeId) || nodeId < 0 || nodeId > MAX_NODE_ID) {
      throw new RangeError(`node id must be an integer in 0..${MAX_NODE_ID}, got ${nodeId}`);
    }
    this.node = BigInt(nodeId);
  }

  next(): string {
    let ms = BigInt(Date.now());
    // A clock that steps back must not produce an id that was already handed out.
    if (ms < this.lastMs) ms = this.lastMs;
    if (ms === this.lastMs) {
      this.seq = (this.seq + 1n) & MAX_SEQ;
      // 4096 ids in one ms: borrow the next ms rather than repeat an id.
      if (this.seq === 0n) ms = this.lastMs + 1n;
    } else {
      this.seq = 0n;
    }
    this.lastMs = ms;
    return (
      ((ms - SNOWFLAKE_EPOCH) << (NODE_BITS + SEQ_BITS)) |
      (this.node << SEQ_BITS) |
      this.seq
    ).toString();
  }
}

/** The node id written into a client id, or undefined if the text is not a snowflake. */
export function nodeOfClientId(clientId: string): number | undefined {
  if (!/^[0-9]{1,20}$/.test(clientId)) return undefined;
  const id = BigInt(clientId);
  if (id >= 1n << 64n) return undefined;
  return Number((id >> SEQ_BITS) & BigInt(MAX_NODE_ID));
}
