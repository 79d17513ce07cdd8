// A gateway client for docs/getting-started.md: it connects to /client?site=demo, sends its
// command-line argument as one text frame, prints what the mesh backend answers, and exits.
//
//   node examples/getting-started/gateway-client.mjs "hi there"
//
// Environment: SB_URL (default http://127.0.0.1:6789). Node 22 and browsers have a WebSocket of
// their own; on Node 20 GatewayClient is given the `ws` package's.
import { GatewayClient } from 'switchboard/client';
import { WebSocket } from 'ws';

const SB_URL = process.env.SB_URL ?? 'http://127.0.0.1:6789';
const text = process.argv[2] ?? 'hello';
const gw = new GatewayClient({ url: `${SB_URL.replace(/^http/, 'ws')}/client?site=demo`, WebSocket });

gw.on('message', async (data) => {
  const answer = JSON.parse(data);
  console.log(JSON.stringify(answer));
  if (answer.hello)
    gw.send(text); // the backend greeted us: now say it
  else await gw.close(); // the answer to what we said: done
});
const timer = setTimeout(() => {
  console.error('no answer within 10 s: is mesh-backend.mjs running?');
  process.exit(1);
}, 10_000);
gw.on('state', ({ state }) => {
  if (state === 'closed') clearTimeout(timer);
});
await gw.connect();
