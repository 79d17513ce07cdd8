#!/usr/bin/env node
// Bundles the browser clients (src/client/index.ts: SiteClient, RocketClient, ChatClient,
// GatewayClient) with esbuild into the two files the server serves under /sdk/ (docs/client-sdk.md):
//   dist/sdk/switchboard.js       minified ES module
//   dist/sdk/switchboard.iife.js  minified script defining the global `Switchboard`
// `platform: 'browser'` makes any Node import in the client code a build error, so no server or
// Node code can slip into the bundle. Run by `npm run build` after tsc.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const OUT = 'dist/sdk';
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
const banner = `/* Switchboard client SDK ${version} (MIT) */`;
const common = {
  entryPoints: ['src/client/index.ts'],
  bundle: true,
  minify: true,
  platform: 'browser',
  target: 'es2022',
  legalComments: 'none',
  banner: { js: banner },
  write: false,
  logLevel: 'warning',
};

mkdirSync(OUT, { recursive: true });
const outputs = [
  ['switchboard.js', await build({ ...common, format: 'esm' })],
  ['switchboard.iife.js', await build({ ...common, format: 'iife', globalName: 'Switchboard' })],
];
for (const [name, result] of outputs) {
  const bytes = result.outputFiles[0].contents;
  writeFileSync(`${OUT}/${name}`, bytes);
  if (process.env.SWITCHBOARD_SDK_SIZES) {
    console.log(`${OUT}/${name}: ${bytes.length} bytes, ${gzipSync(bytes, { level: 9 }).length} gzipped`);
  }
}
