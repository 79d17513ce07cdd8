// `switchboard gen-config`: a commented config file with fresh secrets, to stdout or a file.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { generateConfigYaml } from '../app/gen-config.js';
import type { Command } from './main.js';

const usage = `Usage: switchboard gen-config [--out FILE [--force]]

Prints a commented config file with fresh random secrets (namespace "main").

Options:
  -o, --out FILE   write to FILE (mode 600: it holds secrets) instead of stdout
  -f, --force      overwrite FILE if it exists
  -h, --help       this text
`;

async function run(args: string[]): Promise<number> {
  let values: { out?: string; force?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        out: { type: 'string', short: 'o' },
        force: { type: 'boolean', short: 'f' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    process.stderr.write(`switchboard gen-config: ${(err as Error).message}\n\n${usage}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  const yaml = generateConfigYaml();
  if (values.out === undefined) {
    process.stdout.write(yaml);
    return 0;
  }
  try {
    // 'wx' fails on an existing file, so the check and the write cannot race.
    writeFileSync(values.out, yaml, { flag: values.force ? 'w' : 'wx', mode: 0o600 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'EEXIST' ? 'already exists (use --force to overwrite)' : e.message;
    process.stderr.write(`switchboard gen-config: ${values.out}: ${why}\n`);
    return 1;
  }
  process.stderr.write(`wrote ${values.out}\n`);
  return 0;
}

export const command: Command = { usage, run };
