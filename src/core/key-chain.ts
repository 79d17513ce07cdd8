/** Run `step` after every earlier step of `key` settled; the map holds only chains under way. */
export function chain(
  chains: Map<string, Promise<void>>,
  key: string,
  step: () => Promise<void>,
): Promise<void> {
  const prev = chains.get(key) ?? Promise.resolve();
  const next = prev.catch(() => undefined).then(step);
  chains.set(key, next);
  const cleanup = () => {
    if (chains.get(key) === next) chains.delete(key);
  };
  next.then(cleanup, cleanup);
  return next;
}
