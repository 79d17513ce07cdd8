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
 *
 * On Redis Cluster (`cluster: true`) the same keys carry hash tags, so whatever one script touches
 * lives in one slot (docs/cluster.md "Redis Cluster" has the table):
 * - `P{c:<ns,ch>}ord|hist|cut|mid` and the sharded topic `P{c:<ns,ch>}ch`: one channel, one slot
 *   (the publish script stays atomic and gives one order per channel);
 * - `P{n:<ns>}chans` and the sharded namespace topic `P{n:<ns>}ns`: one slot per namespace;
 * - `P{q:<ns>}…`: every queue key of a namespace, and its sharded wake-up topics (the push script
 *   evicts across the namespace's topics);
 * - `P{node}<id>`, `P{node}gwheld:<id>`, `P{node}gwnodes`: the node registry and the gateway
 *   clients each node holds, in one slot (the lease and claim scripts scan the ids);
 * - `P{ctl:<id>}`: each node's sharded control topic, spread over the shards;
 * - `P once:<key>`: untagged, each key in its own slot (one key per SET NX).
 * A hash tag ends at the first `}`, so a name that contains one only shortens the tag; every key of
 * one channel (or namespace) still shares it. The prefix itself must not contain `{` or `}`.
 */
export class Keys {
  readonly prefix: string;
  /** Redis Cluster layout (hash tags). */
  readonly cluster: boolean;

  constructor(prefix: string, cluster = false) {
    this.prefix = prefix.endsWith(':') ? prefix : `${prefix}:`;
    this.cluster = cluster;
  }

  /** Cluster layout: the tagged head every key of one channel starts with. */
  private chan(ns: string, channel: string): string {
    return `${this.prefix}{c:${Keys.pair(ns, channel)}}`;
  }

  private nsTag(ns: string): string {
    return `${this.prefix}{n:${Keys.ns(ns)}}`;
  }

  private queueTag(ns: string): string {
    return `${this.prefix}{q:${Keys.ns(ns)}}`;
  }

  private static pair(ns: string, name: string): string {
    return `${ns.length}:${ns}:${name}`;
  }

  private static ns(ns: string): string {
    return `${ns.length}:${ns}`;
  }

  ord(ns: string, channel: string): string {
    if (this.cluster) return `${this.chan(ns, channel)}ord`;
    return `${this.prefix}ord:${Keys.pair(ns, channel)}`;
  }

  history(ns: string, channel: string): string {
    if (this.cluster) return `${this.chan(ns, channel)}hist`;
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
    if (this.cluster) return `${this.nsTag(ns)}chans`;
    return `${this.prefix}chans:${Keys.ns(ns)}`;
  }

  channelTopic(ns: string, channel: string): string {
    if (this.cluster) return `${this.chan(ns, channel)}ch`;
    return `${this.prefix}ch:${Keys.pair(ns, channel)}`;
  }

  namespaceTopic(ns: string): string {
    if (this.cluster) return `${this.nsTag(ns)}ns`;
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
    if (this.cluster) return `${this.chan(ns, channel)}cut`;
    return `${this.prefix}cut:${Keys.pair(ns, channel)}`;
  }

  /** Cluster only: id of the master that last wrote the channel (publish-shard.lua). */
  masterId(ns: string, channel: string): string {
    return `${this.chan(ns, channel)}mid`;
  }

  /** `masterId` of the channel whose `ord` key this is (the publish path holds only that key). */
  masterIdOf(ordKey: string): string {
    return `${ordKey.slice(0, -'ord'.length)}mid`;
  }

  /** The node registry key minus the id (the lease and claim scripts append ids). */
  nodePrefix(): string {
    return this.cluster ? `${this.prefix}{node}` : `${this.prefix}node:`;
  }

  node(id: number): string {
    if (this.cluster) return `${this.nodePrefix()}${id}`;
    return `${this.prefix}node:${id}`;
  }

  /** `heldClients(id)` minus the id. On Cluster in the registry's slot: the claim script reads both. */
  heldClientsPrefix(): string {
    return this.cluster ? `${this.prefix}{node}gwheld:` : `${this.prefix}gwheld:`;
  }

  heldClients(node: number): string {
    return `${this.heldClientsPrefix()}${node}`;
  }

  heldNodes(): string {
    return this.cluster ? `${this.prefix}{node}gwnodes` : `${this.prefix}gwnodes`;
  }

  nodePattern(): string {
    return `${this.prefix}node:*`;
  }

  controlTopic(id: number): string {
    if (this.cluster) return `${this.prefix}{ctl:${id}}`;
    return `${this.prefix}ctl:${id}`;
  }

  /** Prefix of every queue list of the namespace; the topic name is appended (also inside Lua). */
  queuePrefix(ns: string): string {
    if (this.cluster) return `${this.queueTag(ns)}q:`;
    return `${this.prefix}q:${Keys.ns(ns)}:`;
  }

  queue(ns: string, topic: string): string {
    return this.queuePrefix(ns) + topic;
  }

  queueTopics(ns: string): string {
    if (this.cluster) return `${this.queueTag(ns)}topics`;
    return `${this.prefix}qtopics:${Keys.ns(ns)}`;
  }

  consumersPrefix(ns: string): string {
    if (this.cluster) return `${this.queueTag(ns)}cons:`;
    return `${this.prefix}qcons:${Keys.ns(ns)}:`;
  }

  consumers(ns: string, topic: string): string {
    return this.consumersPrefix(ns) + topic;
  }

  queueDropped(ns: string): string {
    if (this.cluster) return `${this.queueTag(ns)}drop`;
    return `${this.prefix}qdrop:${Keys.ns(ns)}`;
  }

  queueBytes(ns: string): string {
    if (this.cluster) return `${this.queueTag(ns)}bytes`;
    return `${this.prefix}qbytes:${Keys.ns(ns)}`;
  }

  once(key: string): string {
    return `${this.prefix}once:${key}`;
  }

  wakeTopic(ns: string, topic: string): string {
    if (this.cluster) return `${this.queueTag(ns)}w:${topic}`;
    return `${this.prefix}qw:${Keys.pair(ns, topic)}`;
  }
}
