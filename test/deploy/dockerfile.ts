import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// dist/test/deploy/dockerfile.js → deploy/Dockerfile in the repository.
const DOCKERFILE = fileURLToPath(new URL('../../../deploy/Dockerfile', import.meta.url));

/** deploy/Dockerfile's instructions: comments dropped, `\` continuations joined. */
export function dockerInstructions(): Array<{ op: string; args: string }> {
  const text = readFileSync(DOCKERFILE, 'utf8')
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n\s*/g, ' ');
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [op, ...rest] = line.split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(' ') };
    });
}

/** The exec-form command of the HEALTHCHECK instruction, as an argv. */
export function dockerHealthcheck(): string[] {
  const hc = dockerInstructions().find((i) => i.op === 'HEALTHCHECK');
  if (!hc) throw new Error('deploy/Dockerfile has no HEALTHCHECK');
  const cmd = hc.args.slice(hc.args.indexOf('CMD ') + 4);
  return JSON.parse(cmd) as string[];
}
