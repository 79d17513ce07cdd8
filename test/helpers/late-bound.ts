// Suite fixtures started in a `before` hook but named once, where the suite is declared: the
// shared setup helpers of the protocol tests hand out these stand-ins so that each test file keeps
// using `server.url`, `backend.request(...)` as if it had its own `let server` assigned in `before`.

export interface LateBound<T extends object> {
  /** Stands for the value: every property read goes to the value set last (methods bound to it). */
  readonly proxy: T;
  /** The value itself, undefined until set (an `after` hook whose `before` failed sees undefined). */
  readonly value: T | undefined;
  set(value: T): void;
}

/** `what` names the fixture in the error thrown when a test reads it before its hook ran. */
export function lateBound<T extends object>(what: string): LateBound<T> {
  let target: T | undefined;
  const proxy = new Proxy({} as T, {
    get(_shell, key) {
      if (target === undefined) throw new Error(`${what} was used before the before() hook started it`);
      const v = Reflect.get(target, key, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return {
    proxy,
    get value() {
      return target;
    },
    set(value) {
      target = value;
    },
  };
}
