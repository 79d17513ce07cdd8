/**
 * Errors the dialects answered to clients, by dialect and the dialect's own code. The hub owns one
 * from its construction (so no one patches a hook onto it later); /metrics reads it at scrape time
 * (`switchboard_errors_total`). Counted only on error paths, never per delivery.
 */
export class ErrorCounts {
  /** dialect → code → how many. */
  private readonly byDialect = new Map<string, Map<string, number>>();

  count(dialect: string, code: string): void {
    let codes = this.byDialect.get(dialect);
    if (codes === undefined) {
      codes = new Map();
      this.byDialect.set(dialect, codes);
    }
    codes.set(code, (codes.get(code) ?? 0) + 1);
  }

  /** Every (dialect, code, count) counted so far. */
  *entries(): IterableIterator<[dialect: string, code: string, count: number]> {
    for (const [dialect, codes] of this.byDialect) for (const [code, n] of codes) yield [dialect, code, n];
  }
}
