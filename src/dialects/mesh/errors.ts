import { HubErrorCode } from '../../core/errors.js';
import type { HubErrorTable } from '../kit/hub-errors.js';

/**
 * The numeric error codes of the mesh API (docs/protocol/mesh.md), exactly as the original protocol numbers them. They
 * travel as `{"E": {"c": CODE, "m": "readable message"}}`; docs/errors.md lists each one.
 */
export const MeshErrorCode = {
  /** Invalid JSON, unknown method, missing or malformed parameters, an unknown conn.call function. */
  invalidParams: 101,
  /** queue.pop could not attach the consumer. */
  consumeFailed: 201,
  /** queue.pop for a topic this connection already consumes. */
  duplicateConsume: 202,
  /** queue.unpop could not detach the consumer. */
  unpopFailed: 203,
  /** conn.call on an unknown or gone client, or the call failed where the client lives. */
  callFailed: 301,
  /** mesh.send to an unknown or gone client (or one that could not be written to); publish failure. */
  sendFailed: 401,
} as const;
export type MeshErrorCode = (typeof MeshErrorCode)[keyof typeof MeshErrorCode];

/** A failure with its mesh code, thrown by the codec and the handlers, caught by the transports. */
export class MeshError extends Error {
  constructor(
    readonly code: MeshErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'MeshError';
  }
}

/**
 * The mesh code of each hub error: the two that have one of their own; undefined: the failing
 * method's code (401 mesh.send and mesh.publish, 201 queue.pop, 203 queue.unpop, 301 conn.call),
 * with the engine unreachable above all.
 */
export const MESH_HUB_ERRORS: HubErrorTable<MeshErrorCode | undefined> = {
  [HubErrorCode.invalidCall]: MeshErrorCode.invalidParams,
  [HubErrorCode.duplicateConsumer]: MeshErrorCode.duplicateConsume,
  [HubErrorCode.unknownClient]: undefined,
  [HubErrorCode.unwritable]: undefined,
  [HubErrorCode.nodeUnreachable]: undefined,
  [HubErrorCode.engineUnavailable]: undefined,
  [HubErrorCode.unknownNamespace]: undefined,
  [HubErrorCode.alreadySubscribed]: undefined,
  [HubErrorCode.notSubscribed]: undefined,
  [HubErrorCode.connectionClosed]: undefined,
  [HubErrorCode.invalidData]: undefined,
  [HubErrorCode.invalidChannel]: undefined,
  [HubErrorCode.tooManyChannels]: undefined,
};
