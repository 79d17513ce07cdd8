/**
 * What the hub asks of one node or of all of them over the engine's control channel: routing by
 * client id (sendTo, call, disconnect: the node bits of a snowflake name the node holding the
 * connection) and the cluster views (src/core/inspect.ts). A request for a local id or this node
 * is answered here directly, so it keeps working while the engine is unavailable.
 */
import type { ControlMessage, ControlReply, Engine } from '../engines/engine.js';
import type { Connection } from './connection.js';
import { HubErrorCode } from './errors.js';
import type { Hub } from './hub.js';
import { type Done, settle } from './hub-options.js';
import {
  answerInspect,
  type ClusterInspection,
  gatherCluster,
  type InspectResult,
  type InspectSource,
  type InspectWhat,
  inspectLocal,
} from './inspect.js';
import { handleLocalCall, type RemoteCall } from './remote-call.js';
import { nodeOfClientId } from './snowflake.js';
import type { JsonValue } from './types.js';

export class NodeRequests {
  constructor(
    private readonly hub: Hub,
    private readonly engine: Engine,
    private readonly connections: ReadonlyMap<string, Connection>,
    private readonly inspectSource: InspectSource,
  ) {}

  async sendTo(client: string, data: string | Buffer, binary: boolean, namespace?: string): Promise<Done> {
    const wire = binary ? (typeof data === 'string' ? data : data.toString('base64')) : data.toString();
    return settle(await this.route(client, { type: 'send', client, data: wire, binary, namespace }));
  }

  async call(client: string, call: RemoteCall, namespace?: string): Promise<Done> {
    return settle(await this.route(client, { type: 'call', client, call, namespace }));
  }

  async disconnect(client: string, code: number, reason: string, namespace?: string): Promise<Done> {
    return settle(await this.route(client, { type: 'disconnect', client, code, reason, namespace }));
  }

  inspectCluster<W extends InspectWhat>(
    what: W,
    namespace?: string,
  ): Promise<ClusterInspection<InspectResult<W>>> {
    return gatherCluster(this.inspectSource, what, namespace);
  }

  inspectLocal<W extends InspectWhat>(what: W, namespace?: string): InspectResult<W> {
    return inspectLocal(this.inspectSource, what, namespace) as InspectResult<W>;
  }

  async inspectNode<W extends InspectWhat>(
    node: number,
    what: W,
    namespace?: string,
  ): Promise<InspectResult<W>> {
    const message: ControlMessage = { type: 'inspect', what, ...(namespace !== undefined && { namespace }) };
    const reply =
      node === this.engine.nodeId
        ? await this.handleControl(message)
        : await this.engine.control.request(node, message);
    if (!reply.ok) settle(reply);
    return (reply as { result?: JsonValue }).result as unknown as InspectResult<W>;
  }

  private async route(client: string, message: ControlMessage): Promise<ControlReply> {
    const node = nodeOfClientId(client);
    if (node === undefined)
      return { ok: false, error: `"${client}" is not a client id`, code: HubErrorCode.unknownClient };
    if (node === this.engine.nodeId) return this.handleControl(message);
    return this.engine.control.request(node, message);
  }

  /** A request to this node, from another node (the engine's onControl) or from this one. */
  async handleControl(message: ControlMessage): Promise<ControlReply> {
    if (message.type === 'inspect') return answerInspect(this.inspectSource, message.what, message.namespace);
    const conn = this.connections.get(message.client);
    const foreign = message.namespace !== undefined && conn?.namespace !== message.namespace;
    if (!conn || conn.closed || foreign) {
      return { ok: false, error: `client ${message.client} not found`, code: HubErrorCode.unknownClient };
    }
    switch (message.type) {
      case 'send': {
        const data = message.binary ? Buffer.from(message.data, 'base64') : message.data;
        return conn.sink.sendRaw(data, message.binary)
          ? { ok: true }
          : {
              ok: false,
              error: `client ${message.client} could not be written to`,
              code: HubErrorCode.unwritable,
            };
      }
      case 'disconnect':
        conn.sink.close(message.code, message.reason);
        return { ok: true };
      case 'call':
        return handleLocalCall(this.hub, conn, message.call);
    }
  }
}
