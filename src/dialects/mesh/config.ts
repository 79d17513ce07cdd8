// The mesh dialect's part of the config: its `mesh` section and the keys it reads in every namespace.
import { z } from 'zod';
import { cidrList, int, nonEmpty, section, urlPath } from '../../app/config-fields.js';

export const meshSection = section({
  client_path: urlPath()
    .default('/client')
    .describe('WebSocket path of gateway clients; not a reserved path'),
  close_after_lost_items: int(0, Number.MAX_SAFE_INTEGER, 'a non-negative integer')
    .default(1)
    .describe(
      'Items of one gateway client the engine could not store (Redis down) before the client is closed with 1013; each is counted. 1: at the first, so a backend never sees a conversation with a hole. Above 1 the client stays through a short outage and its backend may miss frames; 0: never closed',
    ),
}).describe("The mesh dialect's gateway client endpoint");

export const meshNamespaceKeys = {
  api_keys: z
    .array(nonEmpty(), { error: 'expected a list of strings' })
    .default([])
    .describe('mesh: keys accepted on `/ws/v1` and `/v1/*` (`Authorization: Bearer KEY` or `?key=`)'),
  trusted_networks: cidrList()
    .default([])
    .describe(
      'mesh: CIDR networks whose requests to `/ws/v1` and `/v1/*` need no API key (the TCP peer address; never X-Forwarded-For)',
    ),
  client_topic: nonEmpty()
    .default('client')
    .describe('mesh: queue topic that receives gateway client traffic'),
};
