/**
 * Trusted networks: CIDR lists (a namespace's `trusted_networks`) matched against the TCP peer of a
 * request. Only the socket's own address counts: a proxy header such as X-Forwarded-For is written
 * by the client and would let anyone claim to be on an internal network.
 */
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

// One BlockList per configured list (the config is parsed once, so the arrays are stable).
const compiled = new WeakMap<readonly string[], BlockList>();

function blockListOf(networks: readonly string[]): BlockList {
  let list = compiled.get(networks);
  if (list) return list;
  list = new BlockList();
  for (const network of networks) {
    const slash = network.indexOf('/');
    const address = slash === -1 ? network : network.slice(0, slash);
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    const bits = slash === -1 ? (family === 'ipv6' ? 128 : 32) : Number(network.slice(slash + 1));
    list.addSubnet(address, bits, family);
  }
  compiled.set(networks, list);
  return list;
}

/**
 * Is `address` inside one of `networks`? An IPv4 peer seen on a dual-stack socket as
 * `::ffff:a.b.c.d` matches the IPv4 networks (BlockList maps it).
 */
export function addressIsTrusted(networks: readonly string[], address: string | undefined): boolean {
  if (networks.length === 0 || address === undefined) return false;
  const family = isIP(address);
  if (family === 0) return false;
  return blockListOf(networks).check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/** Does the request's TCP peer sit in one of `networks`? */
export function peerIsTrusted(networks: readonly string[], req: IncomingMessage): boolean {
  return addressIsTrusted(networks, req.socket?.remoteAddress);
}
