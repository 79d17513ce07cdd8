// What MeshBackend does with `queue.pop` events: hand each item to the consumer of its topic,
// either a callback or an async iterator, and say when the socket should stop being read (the
// application is behind) so TCP pushes back on the server instead of items piling up here.

/** One queue item (`queue.pop` event `p`), e.g. a gateway client's frame or a rocket trigger. */
export interface QueueItem<T = unknown> {
  /** The node id that produced the item. */
  node: number;
  /** The `client_id` of the connection that produced it: where `send()` answers go. */
  clientId: string;
  topic: string;
  /** The item itself (`d`). */
  data: T;
}

export type QueueHandler<T = unknown> = (item: QueueItem<T>) => void | Promise<void>;

/** A registered consumer of some topics. */
export interface Sink {
  topics: readonly string[];
  push(item: QueueItem): void;
  /** Items taken but not yet done with (buffered or a handler's promise not settled). */
  readonly backlog: number;
  /** The consumer was stopped or the backend closed: end an iterator. */
  end(error?: Error): void;
}

export class CallbackSink implements Sink {
  private busy = 0;

  constructor(
    readonly topics: readonly string[],
    private readonly handler: QueueHandler,
    private readonly onError: (err: unknown, item: QueueItem) => void,
    private readonly onDrain: () => void,
  ) {}

  get backlog(): number {
    return this.busy;
  }

  push(item: QueueItem): void {
    let result: void | Promise<void>;
    try {
      result = this.handler(item);
    } catch (err) {
      this.onError(err, item);
      return;
    }
    if (result && typeof (result as Promise<void>).then === 'function') {
      this.busy++;
      (result as Promise<void>).then(
        () => this.settled(),
        (err) => {
          this.settled();
          this.onError(err, item);
        },
      );
    }
  }

  end(): void {}

  private settled(): void {
    this.busy--;
    this.onDrain();
  }
}

/** The async iterator of `MeshBackend.pop()`: items in arrival order, ended by `stop()`. */
export class IteratorSink implements Sink, AsyncIterableIterator<QueueItem> {
  private readonly items: QueueItem[] = [];
  private waiter: { resolve(r: IteratorResult<QueueItem>): void; reject(e: unknown): void } | undefined;
  private done = false;
  private failure: Error | undefined;

  constructor(
    readonly topics: readonly string[],
    private readonly onDrain: () => void,
    private readonly onReturn: () => Promise<void>,
  ) {}

  get backlog(): number {
    return this.items.length;
  }

  push(item: QueueItem): void {
    if (this.done) return;
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w.resolve({ value: item, done: false });
    } else this.items.push(item);
  }

  end(error?: Error): void {
    if (this.done) return;
    this.done = true;
    this.failure = error;
    const w = this.waiter;
    this.waiter = undefined;
    // Items already received are still handed out; the end comes after them.
    if (w && this.items.length === 0) {
      if (error) w.reject(error);
      else w.resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<QueueItem>> {
    const item = this.items.shift();
    if (item) {
      this.onDrain();
      return Promise.resolve({ value: item, done: false });
    }
    if (this.done) {
      return this.failure ? Promise.reject(this.failure) : Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** `break` out of a `for await` lands here: the topics stop being consumed. */
  async return(): Promise<IteratorResult<QueueItem>> {
    await this.onReturn();
    this.end();
    this.items.length = 0;
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
