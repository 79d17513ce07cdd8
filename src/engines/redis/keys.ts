/**
 * Every Redis key and pub/sub topic the engine uses, in one place. All of them start with the
 * configured prefix, so several clusters (or test runs) share one Redis without seeing each other,
 * and `SCAN MATCH prefix*` finds everything one of them left behind.
 *
 * Namespace and channel names are free text (a channel may contain ':'), so a name pair is written
 * length-prefixed — `<ns length>:<ns>:<channel>` — which no two different pairs can share.
 *
 * | key / topic                    | type    | holds                                              |
 * |--------------------------------|---------|----------------------------------------------------|
 * | `P ord:<ns,ch>`                | string  | the channel's newest ord (INCR)                    |
 * | `P hist:<ns,ch>`               | list    | the channel's history, oldest first, contiguous ords |
 * | `P chans:<ns>`                 | zset    | channels of the namespace, score = last publish ms |
 * | `P epoch`                      | string  | cluster data epoch token (detects Redis data loss) |
 * | `P ordbase`                    | string  | ord floor after a data loss or failover (lua.ts)   |
 * | `P replid`                     | string  | replication id of the master last seen (lua.ts)    |
 * | `P cut:<ns,ch>`                | string  | first ord after the channel's jump over the floor  |
 * | `P node:<id>`                  | string  | node liveness lease (token, expires)               |
 * | `P q:<ns>:<topic>`             | list    | waiting queue items (JSON), oldest first           |
 * | `P qtopics:<ns>`               | zset    | queue topics of the namespace, score = created ms  |
 * | `P qcons:<ns>:<topic>`         | zset    | consumers `<node>/<id>`, score = expiry ms         |
 * | `P qdrop:<ns>`                 | hash    | topic → items dropped                              |
 * | `P qbytes:<ns>`                | hash    | topic → bytes of its waiting items                 |
 * | `P gwheld:<id>`               | hash    | gateway clients node id holds → `{n, t, c}` (client-ledger.ts) |
 * | `P gwnodes`                    | set     | node ids with entries in `gwheld:<id>`             |
 * | `P once:<key>`                | string  | a `claimOnce` key, SET NX PX (expires by itself)    |
 * | `P pres:<ns,ch>:c` / `:u` / `:i` | hash  | presence: connection → `node|user`, user → connections, user → info (presence.ts) |
 * | `P presch:<ns>`                | set     | presence channels of the namespace with members    |
 * | `P presnode:<id>` / `presnodes` | set    | channels where node id has members / nodes with any |
 * | topic `P ch:<ns,ch>`           | pub/sub | publications of one channel                        |
 * | topic `P ns:<ns>`              | pub/sub | publications of every channel of the namespace     |
 * | topic `P ctl:<id>`             | pub/sub | control requests/replies addressed to node `id`    |
 * | topic `P qw:<ns>:<topic>`      | pub/sub | "items were pushed" wake-ups for consuming nodes   |
 */
export class Keys {
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix.endsWith(':') ? prefix : `${prefix}:`;
  }

  private static pair(ns: string, name: string): string {
    return `${ns.length}:${ns}:${name}`;
  }

  private static ns(ns: string): string {
    return `${ns.length}:${ns}`;
  }

  ord(ns: string, channel: string): string {
    return `${this.prefix}ord:${Keys.pair(ns, channel)}`;
  }

  history(ns: string, channel: string): string {
    return `${this.prefix}hist:${Keys.pair(ns, channel)}`;
  }

  /** `ord(ns, channel)` minus the channel name (the channel-listing script appends names). */
  ordPrefix(ns: string): string {
    return `${this.prefix}ord:${Keys.pair(ns, '')}`;
  }

  historyPrefix(ns: string): string {
    return `${this.prefix}hist:${Keys.pair(ns, '')}`;
  }

  channels(ns: string): string {
    return `${this.prefix}chans:${Keys.ns(ns)}`;
  }

  channelTopic(ns: string, channel: string): string {
    return `${this.prefix}ch:${Keys.pair(ns, channel)}`;
  }

  namespaceTopic(ns: string): string {
    return `${this.prefix}ns:${Keys.ns(ns)}`;
  }

  epoch(): string {
    return `${this.prefix}epoch`;
  }

  ordBase(): string {
    return `${this.prefix}ordbase`;
  }

  replid(): string {
    return `${this.prefix}replid`;
  }

  cut(ns: string, channel: string): string {
    return `${this.prefix}cut:${Keys.pair(ns, channel)}`;
  }

  node(id: number): string {
    return `${this.prefix}node:${id}`;
  }

  /** `node(id)` minus the id (the claim script appends ids). */
  nodePrefix(): string {
    return `${this.prefix}node:`;
  }

  /** `heldClients(id)` minus the id. */
  heldClientsPrefix(): string {
    return `${this.prefix}gwheld:`;
  }

  heldClients(node: number): string {
    return `${this.heldClientsPrefix()}${node}`;
  }

  heldNodes(): string {
    return `${this.prefix}gwnodes`;
  }

  nodePattern(): string {
    return `${this.prefix}node:*`;
  }

  controlTopic(id: number): string {
    return `${this.prefix}ctl:${id}`;
  }

  /** Prefix of every queue list of the namespace; the topic name is appended (also inside Lua). */
  queuePrefix(ns: string): string {
    return `${this.prefix}q:${Keys.ns(ns)}:`;
  }

  queue(ns: string, topic: string): string {
    return this.queuePrefix(ns) + topic;
  }

  queueTopics(ns: string): string {
    return `${this.prefix}qtopics:${Keys.ns(ns)}`;
  }

  consumersPrefix(ns: string): string {
    return `${this.prefix}qcons:${Keys.ns(ns)}:`;
  }

  consumers(ns: string, topic: string): string {
    return this.consumersPrefix(ns) + topic;
  }

  queueDropped(ns: string): string {
    return `${this.prefix}qdrop:${Keys.ns(ns)}`;
  }

  queueBytes(ns: string): string {
    return `${this.prefix}qbytes:${Keys.ns(ns)}`;
  }

  once(key: string): string {
    return `${this.prefix}once:${key}`;
  }

  wakeTopic(ns: string, topic: string): string {
    return `${this.prefix}qw:${Keys.pair(ns, topic)}`;
  }
}
