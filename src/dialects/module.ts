// What a dialect is to the rest of the server: one module object. The server composes the config
// schema from the modules' config parts, knows every path they will serve before any is built (so
// a path two of them want is refused at start, naming both), and builds the enabled ones.
import type { z } from 'zod';
import type { Dialect } from '../transport/routes.js';
import type { DialectContext } from './context.js';

/**
 * A path a module will serve, known from the config alone. `exact`: that path; `tree`: the path
 * and every path below it; `below`: only the paths below it (`/app/KEY`, not `/app`).
 */
export interface RouteClaim {
  path: string;
  scope: 'exact' | 'tree' | 'below';
  /** Who serves it, for the message of a conflict: "site's GET /token", "namespace demo's rocket vhost". */
  owner: string;
  /**
   * The config key that chose the path, for a route the operator places (a rocket vhost, the mesh
   * client path); absent for a module's own fixed paths. A conflict is reported on this key.
   */
  key?: readonly string[];
  /**
   * Paths several modules serve by design and tell apart themselves: `/ws` (site takes `?site=`,
   * chat `?username=`), `/assets` (each page its own folder). Shared claims may overlap each other.
   */
  shared?: boolean;
}

/** What a module adds to the config file. */
export interface DialectConfigSchema<
  Section extends z.ZodType | undefined = z.ZodType | undefined,
  Keys extends z.core.$ZodLooseShape = z.core.$ZodLooseShape,
> {
  /** The `dialects.<name>` switch's description; absent: the module is always served (ops). */
  toggle?: string;
  /** Its own top-level section, under the module's name (`chat:`, `mesh:`). */
  section?: Section;
  /** The keys it reads in every namespace (`secret`, `api_keys`, `rocket`, `pusher`). */
  namespaceKeys?: Keys;
  /** Rules across keys; runs on configs that failed elsewhere too, so that one run reports all. */
  check?(config: unknown, ctx: z.RefinementCtx): void;
  /** Its lines in the file `gen-config` writes (src/app/gen-config.ts says where each goes). */
  sample?: ConfigSample;
}

/** Commented YAML lines of a module for `gen-config`: the file doubles as a reference. */
export interface ConfigSample {
  /** The line under `dialects:`, e.g. `# site: true   # /ws?site=, /token, /post`. */
  toggle?: string;
  /** Its section, top-level lines (commented when every key has its default). */
  section?: string;
  /** Its keys in the sample namespace `main`, indented by four spaces. */
  namespace?: string;
}

export interface DialectModule<
  Name extends string = string,
  Section extends z.ZodType | undefined = z.ZodType | undefined,
  Keys extends z.core.$ZodLooseShape = z.core.$ZodLooseShape,
> {
  readonly name: Name;
  readonly configSchema: DialectConfigSchema<Section, Keys>;
  /**
   * Every path it serves under `config`, read defensively (the config may be partly invalid when
   * the schema asks), whether or not it is switched on: a path stays reserved for its owner.
   */
  routes(config: unknown): RouteClaim[];
  create(ctx: DialectContext): Dialect;
}

/** The namespace keys of a module that adds none. */
export type NoKeys = Record<never, never>;

/**
 * A module that is always served and adds nothing to the config (the operator endpoints): only its
 * fixed paths and how it is built.
 */
export function alwaysServed<Name extends string>(
  name: Name,
  claims: readonly RouteClaim[],
  create: (ctx: DialectContext) => Dialect,
): DialectModule<Name, undefined, NoKeys> {
  return { name, configSchema: {}, routes: () => [...claims], create };
}
