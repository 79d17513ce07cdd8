/** What the core needs to know about a namespace (tenant). Dialect settings live with dialects. */
export interface NamespaceSettings {
  name: string;
  /** History buffer size of every channel in the namespace. */
  historySize: number;
  /** Queue bounds (docs/architecture.md). */
  topicSize: number;
  /** Bytes (of the stored JSON) a topic holds while nobody consumes it. */
  topicBytes: number;
  maxTopics: number;
}

export const DEFAULT_NAMESPACE_SETTINGS = {
  historySize: 100,
  topicSize: 2000,
  topicBytes: 8 * 1024 * 1024,
  maxTopics: 100,
} as const;
