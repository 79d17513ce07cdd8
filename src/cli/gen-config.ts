// `switchboard gen-config`: a commented config file with fresh secrets, to stdout or a file.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { renderConfigReference } from '../app/config-reference.js';
import { generateConfigYaml } from '../app/gen-config.js';
import type { Command } from './main.js';

const usage = `Usage: switchboard gen-config [--reference] [--out FILE [--force]]

Prints a commented config file with fresh random secrets (namespace "main").

Options:
  -o, --out FILE   write to FILE (mode 600: it holds secrets) instead of stdout
  -f, --force      overwrite FILE if it exists
  -r, --reference  print the Markdown key reference (docs/config-reference.md) instead
  -h, --help       this text
`;

async function run(args: string[]): Promise<number> {
  let values: { out?: string; force?: boolean; help?: boolean; reference?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        out: { type: 'string', short: 'o' },
        force: { type: 'boolean', short: 'f' },
        reference: { type: 'boolean', short: 'r' },
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
  const yaml = values.reference ? renderConfigReference() : generateConfigYaml();
  if (values.out === undefined) {
    process.stdout.write(yaml);
    return 0;
  }
  try {
    // 'wx' fails on an existing file, so the check and the write cannot race.
    // The reference holds no secrets: readable like any other doc.
    const mode = values.reference ? 0o644 : 0o600;
    writeFileSync(values.out, yaml, { flag: values.force ? 'w' : 'wx', mode });
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
