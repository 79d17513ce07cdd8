#!/usr/bin/env node
// The `switchboard` binary: dispatches to one module per subcommand. Subcommands are imported
// lazily so that `--help` or `check-config` never load the server (and start fast).
import { readFileSync } from 'node:fs';

export interface Command {
  usage: string;
  /** Resolves to the process exit code. */
  run(args: string[]): Promise<number>;
  /**
   * Exit as soon as run() resolves, even if something still holds the event loop. `serve` wants
   * this (its shutdown is the end of the process); the others let stdout drain on its own.
   */
  exitWhenDone?: boolean;
}

const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./serve.js')).command,
  'check-config': async () => (await import('./check-config.js')).command,
  'gen-config': async () => (await import('./gen-config.js')).command,
  ctl: async () => (await import('./ctl.js')).command,
};

// Here rather than in each module, so that the overview loads none of them.
const SUMMARIES: Record<string, string> = {
  serve: 'run the server (the demo setup when no config file is given)',
  'check-config': 'validate a config file and exit',
  'gen-config': 'print a commented config file with fresh secrets',
  ctl: 'inspect and steer a running server through its admin API',
};

const USAGE = `Usage: switchboard <command> [options]

Commands:
${Object.entries(SUMMARIES)
  .map(([name, summary]) => `  ${name.padEnd(14)}${summary}`)
  .join('\n')}

Run "switchboard <command> --help" for a command's options.
Options: -h, --help    this text;  -v, --version    the version
`;

function version(): string {
  // dist/src/cli/main.js → the package root is three levels up, as it is from src/cli/main.ts.
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
  return String(pkg.version);
}

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === '-h' || name === '--help' || (name === 'help' && rest.length === 0)) {
    process.stdout.write(USAGE);
    return;
  }
  if (name === '-v' || name === '--version') {
    process.stdout.write(`${version()}\n`);
    return;
  }
  // `switchboard help serve` reads as `switchboard serve --help`.
  const [cmdName, args] = name === 'help' ? [rest[0], ['--help']] : [name, rest];
  const load = cmdName === undefined ? undefined : COMMANDS[cmdName];
  if (!load) {
    process.stderr.write(
      `${cmdName === undefined ? '' : `switchboard: unknown command "${cmdName}"\n\n`}${USAGE}`,
    );
    process.exitCode = 2;
    return;
  }
  const cmd = await load();
  const code = await cmd.run(args);
  if (cmd.exitWhenDone) process.exit(code);
  process.exitCode = code;
}

await main(process.argv.slice(2));
