// The package's public entry. Two audiences: applications using the client SDK (also importable
// alone as `switchboard/client`, without any server code), and programs embedding the server.

export { ConfigError, type ConfigIssue, type LoadedConfig, loadConfig } from './app/config.js';

export type { Config } from './app/config-schema.js';
export { configSchema } from './app/config-schema.js';
export { type RunningServer, type StartOptions, startServer } from './app/server.js';
export * from './client/index.js';
export { HubError, HubErrorCode } from './core/errors.js';
export { Hub, type HubCounters } from './core/hub.js';
export type { ChannelInfo, JsonValue, Publication, PublishInput } from './core/types.js';
export type {
  ChannelOptions,
  ControlMessage,
  ControlReply,
  Engine,
  EngineHandlers,
  HistoryQuery,
  HistoryResult,
  PublishOptions,
  PublishResult,
  QueueConsumer,
  QueueLimits,
  TopicStats,
} from './engines/engine.js';
export { MemoryEngine } from './engines/memory/memory-engine.js';
