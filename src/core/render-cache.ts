import type { Publication } from './types.js';

// A symbol key keeps the cache out of JSON.stringify and out of the engine's serialisation.
const RENDERS = Symbol('switchboard.renders');
type WithRenders = Publication & { [RENDERS]?: Map<string, unknown> };

/**
 * Render a publication once per dialect rendering, however many local receivers it has
 * (ARCHITECTURE: "a rendering that is the same for many receivers is encoded once"). The hub hands
 * the same Publication object to every local subscriber, so the cache lives on it and dies with it.
 */
export function renderOnce<T>(publication: Publication, key: string, render: (p: Publication) => T): T {
  return renderOnceWith(publication, key, render, callRender);
}

// Module-level so that `renderOnce` allocates nothing either: the renderer itself is the context.
function callRender<T>(publication: Publication, render: (p: Publication) => T): T {
  return render(publication);
}

/**
 * `renderOnce` for a renderer that needs a per-node context (a dialect's shared state): the context
 * is passed through instead of captured, so a caller on the fan-out path allocates no closure per
 * delivery.
 */
export function renderOnceWith<C, T>(
  publication: Publication,
  key: string,
  context: C,
  render: (p: Publication, context: C) => T,
): T {
  const p = publication as WithRenders;
  let cache = p[RENDERS];
  if (cache === undefined) {
    cache = new Map();
    p[RENDERS] = cache;
  } else {
    const hit = cache.get(key);
    if (hit !== undefined) return hit as T;
  }
  const out = render(publication, context);
  cache.set(key, out);
  return out;
}
