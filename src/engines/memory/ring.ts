/** A fixed-capacity FIFO that overwrites its oldest entry: the history buffer of one channel. */
export class Ring<T> {
  private readonly items: (T | undefined)[];
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.items = new Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.capacity === 0) return;
    if (this.count < this.capacity) {
      this.items[(this.start + this.count) % this.capacity] = item;
      this.count++;
    } else {
      this.items[this.start] = item;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  /** The i-th oldest entry (0 = oldest). */
  at(i: number): T | undefined {
    if (i < 0 || i >= this.count) return undefined;
    return this.items[(this.start + i) % this.capacity];
  }

  /** Entries from index `from` (oldest = 0) to the newest. */
  slice(from: number): T[] {
    const out: T[] = [];
    for (let i = Math.max(0, from); i < this.count; i++)
      out.push(this.items[(this.start + i) % this.capacity] as T);
    return out;
  }

  /** A copy with another capacity, keeping the newest entries. */
  resized(capacity: number): Ring<T> {
    const next = new Ring<T>(capacity);
    for (const item of this.slice(Math.max(0, this.count - capacity))) next.push(item);
    return next;
  }
}
