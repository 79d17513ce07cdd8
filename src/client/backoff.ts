// Exponential backoff with jitter for reconnects and retried subscriptions. No I/O and no timers:
// the caller asks for the next delay and schedules it itself.

export interface BackoffOptions {
  /** Delay before the first retry, in milliseconds. Default 250. */
  initialMs: number;
  /** Upper bound of any delay, in milliseconds. Default 15,000. */
  maxMs: number;
  /** Growth per failed attempt. Default 2. */
  factor: number;
  /**
   * Share of each delay that is random, 0..1. Default 0.5: a delay is drawn uniformly from
   * [base × (1 − jitter), base], so clients dropped together by a restart do not all come back
   * in the same millisecond, and no delay ever exceeds the schedule's base.
   */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 15_000, factor: 2, jitter: 0.5 };

/** Fill defaults and reject values that would make a hot loop or a never-ending wait. */
export function backoffOptions(partial: Partial<BackoffOptions> = {}): BackoffOptions {
  const o = { ...DEFAULT_BACKOFF, ...stripUndefined(partial) };
  if (!(o.initialMs >= 0) || !Number.isFinite(o.initialMs))
    throw new RangeError('backoff.initialMs must be ≥ 0');
  if (!(o.maxMs >= o.initialMs) || !Number.isFinite(o.maxMs))
    throw new RangeError('backoff.maxMs must be a finite number ≥ initialMs');
  if (!(o.factor >= 1)) throw new RangeError('backoff.factor must be ≥ 1');
  if (!(o.jitter >= 0 && o.jitter <= 1)) throw new RangeError('backoff.jitter must be between 0 and 1');
  return o;
}

/**
 * Attempt n (0-based) waits base(n) = min(maxMs, initialMs × factor^n), less a random share of
 * up to `jitter` of it. `reset()` after a success starts the schedule over.
 */
export class Backoff {
  readonly options: BackoffOptions;
  private attempt = 0;

  constructor(
    options: Partial<BackoffOptions> = {},
    private readonly random: () => number = Math.random,
  ) {
    this.options = backoffOptions(options);
  }

  /** Failed attempts since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The un-jittered delay of attempt n. */
  base(n: number): number {
    const { initialMs, maxMs, factor } = this.options;
    return Math.min(maxMs, initialMs * factor ** n);
  }

  /** The delay before the next retry; counts one more failed attempt. */
  next(): number {
    const base = this.base(this.attempt);
    this.attempt++;
    const r = Math.min(1, Math.max(0, this.random()));
    return Math.round(base * (1 - this.options.jitter * r));
  }

  reset(): void {
    this.attempt = 0;
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
