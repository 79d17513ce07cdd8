/**
 * What the gateway does when the engine cannot store a client's item (Redis down or hung): the
 * item is lost, so the client must not go on as if its frames reached a backend. Its socket is
 * closed with 1013 "try again later" (a reconnecting client, the SDK's GatewayClient included,
 * comes back once the engine does and its backend sees a fresh handshake), every item that could
 * not be stored is counted, and the node logs one line when an outage starts and one when items
 * are stored again, never one per frame.
 */
import type { Logger } from 'pino';

export const OUTAGE_CLOSE_CODE = 1013;
export const OUTAGE_CLOSE_REASON = 'engine unavailable, reconnect later';

/** Process-wide, for /metrics: they only grow. */
export const gatewayStats = { itemsLost: 0, outageCloses: 0 };

/** One per node: turns a flood of failed pushes into two log lines per outage. */
export class GatewayOutageLog {
  private since: number | undefined;
  private lostInOutage = 0;

  constructor(private readonly logger: Logger) {}

  /** `n` items could not be stored (`err` the engine's error, for the first line only). */
  lost(n: number, err: unknown, namespace: string): void {
    gatewayStats.itemsLost += n;
    this.lostInOutage += n;
    if (this.since !== undefined) return;
    this.since = Date.now();
    this.logger.warn(
      { err: err instanceof Error ? err.message : String(err), namespace },
      `gateway: the engine cannot store client items; clients are closed with ${OUTAGE_CLOSE_CODE} and their items counted as lost until it can`,
    );
  }

  /** An item was stored: the outage, if one was on, is over. */
  stored(): void {
    if (this.since === undefined) return;
    this.logger.info(
      { lost: this.lostInOutage, outage_ms: Date.now() - this.since },
      'gateway: client items are stored again',
    );
    this.since = undefined;
    this.lostInOutage = 0;
  }
}
