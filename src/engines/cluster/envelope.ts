import type { Publication } from '../../core/types.js';

/** A delivery count request: node `node` waits for the receiving nodes' counts under `id`. */
export interface CountRequest {
  id: string;
  node: number;
}

/** One publication as a cluster transport hands it to a watching node. */
export interface Envelope {
  ns: string;
  publication: Publication;
  /** Present when the publisher waits for delivery counts. */
  countRequest?: CountRequest;
}
