import type { Logger } from 'pino';
import { KOZMA_APHORISMS } from './kozma-aphorisms.js';

/** The bot's name as it appears in `sender.username`. */
export const KOZMA_NAME = 'Козьма Прутков';
/** The room it writes to. */
export const KOZMA_ROOM = 'kozma';

export interface KozmaTiming {
  /** Delay before the first post (nane: 5 s after start). */
  firstDelayMs: number;
  /** Delay before each next post (nane: a random whole number of seconds, 0–59). */
  nextDelayMs: () => number;
  /** Source of randomness in [0, 1) for picking an aphorism. */
  random: () => number;
}

export interface KozmaOptions extends Partial<KozmaTiming> {
  /** Publishes one message as any chat client would (room, text, sender). */
  post: (room: string, text: string, sender: string) => Promise<unknown>;
  aphorisms?: readonly string[];
  logger?: Logger;
}

/**
 * The `--kozma` bot: an ordinary publisher that posts a random aphorism of Kozma Prutkov to room
 * `kozma`, first after `firstDelayMs`, then after each `nextDelayMs()`. Timers are unref'd, so
 * the bot never keeps the process alive; `stop()` cancels the next post and waits for one in flight.
 */
export class KozmaBot {
  private readonly timing: KozmaTiming;
  private readonly aphorisms: readonly string[];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private running = false;
  private last = -1;

  constructor(private readonly options: KozmaOptions) {
    const random = options.random ?? Math.random;
    this.timing = {
      firstDelayMs: options.firstDelayMs ?? 5000,
      nextDelayMs: options.nextDelayMs ?? (() => Math.floor(random() * 60) * 1000),
      random,
    };
    this.aphorisms = options.aphorisms ?? KOZMA_APHORISMS;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(this.timing.firstDelayMs);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  /** The next aphorism: random, but never the same one twice in a row. */
  pick(): string {
    const n = this.aphorisms.length;
    let i = Math.min(n - 1, Math.floor(this.timing.random() * n));
    if (i === this.last && n > 1) i = (i + 1) % n;
    this.last = i;
    return this.aphorisms[i]!;
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => this.tick(), Math.max(0, delayMs));
    this.timer.unref();
  }

  private tick(): void {
    this.timer = undefined;
    this.inFlight = this.options
      .post(KOZMA_ROOM, this.pick(), KOZMA_NAME)
      .then(
        () => undefined,
        (err) => this.options.logger?.warn({ err }, 'kozma: could not post'),
      )
      .finally(() => {
        this.inFlight = undefined;
        this.schedule(this.timing.nextDelayMs());
      });
  }
}
