// `switchboard check-config FILE`: load the file exactly as `serve` would (env overrides and
// --set included) and report every problem, so a deploy can be checked before it is rolled out.
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { ConfigError, loadConfig } from '../app/config.js';
import type { Command } from './main.js';

const usage = `Usage: switchboard check-config [options] FILE

Validates FILE (with SWITCHBOARD_* env vars and --set applied, as serve would) and prints
"ok: FILE", or every bad key by its path. Exit code 0 when valid, 2 when not.

Options:
  --set PATH=VALUE   override a key, e.g. --set listen.port=7000 (repeatable)
  --print            on success, also print the resulting config (with defaults) as YAML
  -h, --help         this text
`;

async function run(args: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (err) {
    process.stderr.write(`switchboard check-config: ${(err as Error).message}\n\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  const file = positionals[0];
  if (file === undefined || positionals.length > 1) {
    process.stderr.write(`switchboard check-config: expected exactly one FILE\n\n${usage}`);
    return 2;
  }
  try {
    const { config } = loadConfig({ argv: { config: file, set: values.set ?? [] }, env: process.env });
    process.stdout.write(`ok: ${file}\n`);
    if (values.print) process.stdout.write(YAML.stringify(config));
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
}

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      set: { type: 'string', multiple: true },
      print: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

export const command: Command = { usage, run };
