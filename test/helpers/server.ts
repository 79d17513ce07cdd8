import { type Logger, pino } from 'pino';
import { type Config, configSchema } from '../../src/app/config-schema.js';
import { type RunningServer, startServer } from '../../src/app/server.js';
import type { Engine } from '../../src/engines/engine.js';

/**
 * A real server on an ephemeral loopback port, configured from a plain object written like the
 * YAML file (snake_case keys). Logs are silent unless SWITCHBOARD_TEST_LOG is set.
 */
export async function startTestServer(
  overrides: Record<string, unknown> = {},
  options: { engine?: Engine; logger?: Logger } = {},
): Promise<RunningServer & { config: Config; wsUrl(pathAndQuery: string): string }> {
  // Always loopback and a free port; other listen keys (advertise_address) pass through.
  const listen = { ...(overrides.listen as object | undefined), host: '127.0.0.1', port: 0 };
  const config = configSchema.parse({ ...overrides, listen });
  const logger = options.logger ?? pino({ level: process.env.SWITCHBOARD_TEST_LOG ?? 'silent' });
  const server = await startServer(config, { ...options, logger });
  return { ...server, config, wsUrl: (p: string) => `${server.url.replace(/^http/, 'ws')}${p}` };
}

/** The namespace most protocol tests use: every credential fixed so tests can compute HMACs. */
export const TEST_NAMESPACE = {
  secret: 'site-secret',
  post_secret: 'post-secret',
  token_ttl: 300,
  history_size: 100,
  api_keys: ['mesh-key'],
};
