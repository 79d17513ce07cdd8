import { DEFAULT_NAMESPACE_SETTINGS, type NamespaceSettings } from '../core/namespace.js';
import type { Config } from './config-schema.js';

/**
 * The core's view of the configured namespaces. The chat namespace always exists (nane needs no
 * configuration); its history size is chat.max_messages_in_room unless the namespace is
 * configured explicitly too.
 */
export function namespaceSettings(config: Config): Map<string, NamespaceSettings> {
  const out = new Map<string, NamespaceSettings>();
  for (const [name, ns] of Object.entries(config.namespaces)) {
    out.set(name, {
      name,
      historySize: ns.history_size,
      topicSize: ns.topic_size,
      topicBytes: ns.topic_bytes,
      maxTopics: ns.max_topics,
    });
  }
  const chat = config.chat.namespace;
  if (!out.has(chat)) {
    out.set(chat, {
      name: chat,
      ...DEFAULT_NAMESPACE_SETTINGS,
      historySize: config.chat.max_messages_in_room,
    });
  }
  return out;
}
