// The mesh backend of docs/getting-started.md: it answers gateway clients. Gateway clients
// connect to /client?site=demo and send whatever they like; Switchboard queues every frame on the
// namespace's `client` topic, and this backend consumes it over /ws/v1 with the namespace's API key
// and answers each client by its id. Any number of copies may run: each item goes to one of them.
//
//   node examples/getting-started/mesh-backend.mjs
//
// Environment: SB_URL, where Switchboard listens (default http://127.0.0.1:6789).
import { MeshBackend } from 'switchboard/backend';

const SB_URL = process.env.SB_URL ?? 'http://127.0.0.1:6789';
const mesh = new MeshBackend({ url: SB_URL, key: 'getting-started-mesh-key', site: 'demo' });
mesh.on('error', (err) => console.error(`mesh: ${err.kind}: ${err.message}`));

await mesh.consume('client', async ({ clientId, data: item }) => {
  if (item.event === 'handshake') {
    await mesh.send(clientId, { hello: 'say something' });
  } else if (item.event === 'message') {
    await mesh.send(clientId, { you_said: item.frame.data, answered_by: 'mesh-backend.mjs' });
  }
});
console.log(`mesh backend consuming topic client of namespace demo at ${SB_URL}`);
process.on('SIGINT', () => mesh.close().then(() => process.exit(0)));
process.on('SIGTERM', () => mesh.close().then(() => process.exit(0)));
