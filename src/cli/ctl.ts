// `switchboard ctl`: the admin HTTP API (docs/operations.md) from a terminal. Human tables by
// default (with a NODE column where rows come from several nodes), the server's JSON with --json;
// exit 1 with the server's message when it refuses, exit 2 with one line for a usage mistake.
import { parseArgs } from 'node:util';
import type { Command } from './main.js';

const usage = `Usage: switchboard ctl [options] <command> [arguments]

Commands:
  stats                      the cluster's figures, then one line per node (--local: this node only)
  namespaces                 namespaces with connection counts over the cluster
  channels NS                channels of a namespace: last ord, subscribers
  history NS CH              buffered messages of a channel (--last K or --after N)
  publish NS CH DATA         publish DATA (JSON if it parses, else a string; --event E)
  connections [NS]           connections held by every node, with the node that holds each
  send ID DATA               write DATA to a connection (--binary: DATA is base64)
  subscribe ID CH...         subscribe a connection to channels
  unsubscribe ID CH...       unsubscribe a connection from channels
  kick ID                    disconnect a connection (--code C, --reason R)
  topics NS                  queue topics with depths

Options:
  --url URL        server address (env SWITCHBOARD_URL, default http://127.0.0.1:6789)
  --key KEY        admin key (env SWITCHBOARD_ADMIN_KEY, else SWITCHBOARD_ADMIN__KEY)
  --user NS/USER:SECRET
                   a rocket user with MANAGE instead of the key (env SWITCHBOARD_ADMIN_USER)
  --local          stats, namespaces, channels, connections: only the node at --url
  --json           print the server's JSON answer
  -h, --help       this text
`;

const OPTIONS = {
  url: { type: 'string' },
  key: { type: 'string' },
  user: { type: 'string' },
  json: { type: 'boolean' },
  local: { type: 'boolean' },
  last: { type: 'string' },
  after: { type: 'string' },
  event: { type: 'string' },
  binary: { type: 'boolean' },
  code: { type: 'string' },
  reason: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = {
  [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean;
};

class UsageError extends Error {}

// biome-ignore lint/suspicious/noExplicitAny: the server's JSON answer, shaped per command (docs/operations.md)
type Answer = any;

interface Call {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  /** Human rendering of the answer. */
  show(answer: Answer): string;
}

const seg = encodeURIComponent;

/** Turn the command line into one API call, or throw UsageError. */
function plan(command: string, args: string[], v: Values): Call {
  const need = (n: number, names: string) => {
    if (args.length < n || (args.length > n && !names.endsWith('...'))) {
      throw new UsageError(`${command} takes ${names}`);
    }
  };
  const local = v.local ? 'local=1' : '';
  switch (command) {
    case 'stats':
      need(0, 'no arguments');
      return { method: 'GET', path: `/admin/api/stats${local && `?${local}`}`, show: showStats };
    case 'namespaces':
      need(0, 'no arguments');
      return {
        method: 'GET',
        path: `/admin/api/namespaces${local && `?${local}`}`,
        show: (rows) => table(rows, ['name', 'connections', 'subscriptions', 'history_size', 'rocket_path']),
      };
    case 'channels':
      need(1, 'NS');
      return {
        method: 'GET',
        path: `/admin/api/namespaces/${seg(args[0]!)}/channels${local && `?${local}`}`,
        show: (rows) => table(rows, ['name', 'last_ord', 'subscribers', 'last_time'], { last_time: time }),
      };
    case 'history': {
      need(2, 'NS CH');
      const q = new URLSearchParams();
      if (v.last !== undefined) q.set('last', v.last);
      if (v.after !== undefined) q.set('after', v.after);
      const query = q.size > 0 ? `?${q}` : '';
      return {
        method: 'GET',
        path: `/admin/api/namespaces/${seg(args[0]!)}/channels/${seg(args[1]!)}/history${query}`,
        show: (a) =>
          table(a.publications, ['ord', 'time', 'event', 'sender', 'data'], { time, data: compact }),
      };
    }
    case 'publish': {
      need(3, 'NS CH DATA');
      const body: Record<string, unknown> = { data: jsonOrString(args[2]!) };
      if (v.event !== undefined) body.event = v.event;
      return {
        method: 'POST',
        path: `/admin/api/namespaces/${seg(args[0]!)}/channels/${seg(args[1]!)}/publish`,
        body,
        show: (a) =>
          `published to ${a.channel} as ord ${a.ord}` +
          (a.delivered ? ` (delivered ${a.delivered.s}, failed ${a.delivered.f})` : ''),
      };
    }
    case 'connections': {
      if (args.length > 1) throw new UsageError('connections takes [NS]');
      const q = new URLSearchParams();
      if (args[0] !== undefined) q.set('namespace', args[0]);
      if (v.local) q.set('local', '1');
      return {
        method: 'GET',
        path: `/admin/api/connections${q.size > 0 ? `?${q}` : ''}`,
        show: (rows) =>
          table(
            rows,
            ['node', 'id', 'dialect', 'namespace', 'user', 'subscriptions', 'connected_at', 'remote_address'],
            {
              subscriptions: (s) => (s as string[]).join(','),
            },
          ),
      };
    }
    case 'send':
      need(2, 'ID DATA');
      return {
        method: 'POST',
        path: `/admin/api/connections/${seg(args[0]!)}/send`,
        body: { data: args[1], ...(v.binary && { binary: true }) },
        show: () => `sent to ${args[0]}`,
      };
    case 'subscribe':
    case 'unsubscribe':
      need(2, 'ID CH...');
      return {
        method: 'POST',
        path: `/admin/api/connections/${seg(args[0]!)}/${command}`,
        body: { channels: args.slice(1) },
        show: () =>
          `${command}d ${args[0]} ${command === 'subscribe' ? 'to' : 'from'} ${args.slice(1).join(', ')}`,
      };
    case 'kick': {
      need(1, 'ID');
      const body: Record<string, unknown> = {};
      if (v.code !== undefined) body.code = Number(v.code);
      if (v.reason !== undefined) body.reason = v.reason;
      return {
        method: 'POST',
        path: `/admin/api/connections/${seg(args[0]!)}/disconnect`,
        body,
        show: () => `disconnected ${args[0]}`,
      };
    }
    case 'topics':
      need(1, 'NS');
      return {
        method: 'GET',
        path: `/admin/api/namespaces/${seg(args[0]!)}/topics`,
        show: (rows) => table(rows, ['topic', 'depth', 'consumers', 'dropped']),
      };
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

function jsonOrString(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const time = (v: unknown) => (typeof v === 'number' ? new Date(v).toISOString() : '');
const compact = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** Left-aligned columns, headers upper-cased; null and undefined cells print empty. */
export function table(
  rows: Record<string, unknown>[],
  columns: string[],
  format: Record<string, (v: unknown) => string> = {},
): string {
  if (rows.length === 0) return '(none)';
  const cell = (row: Record<string, unknown>, col: string) => {
    const v = row[col];
    if (format[col]) return format[col](v);
    if (v === null || v === undefined) return '';
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  };
  const grid = [columns.map((c) => c.toUpperCase()), ...rows.map((r) => columns.map((c) => cell(r, c)))];
  const widths = columns.map((_, i) => Math.max(...grid.map((line) => line[i]!.length)));
  return grid
    .map((line) =>
      line
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/**
 * The cluster's totals (this node's alone with --local), then one row per node, then the nodes
 * that did not answer: the same figures `connections` lists the rows of.
 */
function showStats(s: Answer): string {
  const totals = s.cluster ?? s;
  const lines: [string, unknown][] = [
    ['nodes', s.nodes ? s.nodes.length : `1 (node ${s.node_id}, --local)`],
    ['connections', totals.connections.total],
    ...Object.entries(totals.connections.by_dialect as Record<string, number>).map(
      ([d, n]) => [`  ${d}`, n] as [string, unknown],
    ),
    ['subscriptions', totals.subscriptions],
    ['accepted', totals.messages.accepted],
    ['fanned out', totals.messages.published],
    ['delivered', totals.messages.delivered],
    ['failed', totals.messages.failed],
  ];
  const width = Math.max(...lines.map(([k]) => k.length));
  const out = [lines.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')];
  const rows: Answer[] = s.nodes ?? [{ ...s, node: s.node_id }];
  out.push(
    table(
      rows.map((n) => ({
        node: n.node,
        engine: `${n.engine}${n.ready ? '' : ' (not ready)'}`,
        uptime: `${n.uptime}s`,
        memory: `${(n.memory / 1048576).toFixed(1)} MiB`,
        connections: n.connections.total,
        subscriptions: n.subscriptions,
        accepted: n.messages.accepted,
        delivered: n.messages.delivered,
        failed: n.messages.failed,
      })),
      [
        'node',
        'engine',
        'uptime',
        'memory',
        'connections',
        'subscriptions',
        'accepted',
        'delivered',
        'failed',
      ],
    ),
  );
  for (const m of (s.missing ?? []) as { node: number; error: string }[]) {
    out.push(`node ${m.node} did not answer: ${m.error}`);
  }
  if (s.cluster_error !== undefined) out.push(`the nodes could not be listed: ${s.cluster_error}`);
  return out.join('\n\n');
}

async function run(argv: string[]): Promise<number> {
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true }));
  } catch (err) {
    // Node's own wording goes on about `--` after its first sentence: keep that sentence.
    return usageError((err as Error).message.split(/\.\s/)[0]!.replace(/\.$/, ''));
  }
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  if (positionals.length === 0) return usageError('a command is required');
  const [command, ...args] = positionals as [string, ...string[]];
  let call: Call;
  try {
    call = plan(command, args, values);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return usageError(err.message);
  }
  const base = (values.url ?? process.env.SWITCHBOARD_URL ?? 'http://127.0.0.1:6789').replace(/\/+$/, '');
  // SWITCHBOARD_ADMIN__KEY is the server's own variable for admin.key: one export serves both.
  const key = values.key ?? process.env.SWITCHBOARD_ADMIN_KEY ?? process.env.SWITCHBOARD_ADMIN__KEY;
  const user = values.user ?? process.env.SWITCHBOARD_ADMIN_USER;
  const headers: Record<string, string> = {};
  if (key) headers.authorization = `Bearer ${key}`;
  else if (user) headers.authorization = `Basic ${Buffer.from(user).toString('base64')}`;
  if (call.body !== undefined) headers['content-type'] = 'application/json';

  let status: number;
  let text: string;
  try {
    const res = await fetch(base + call.path, {
      method: call.method,
      headers,
      body: call.body === undefined ? undefined : JSON.stringify(call.body),
      signal: AbortSignal.timeout(15000),
    });
    status = res.status;
    text = await res.text();
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    process.stderr.write(
      `switchboard ctl: cannot reach ${base}: ${cause?.code ?? cause?.message ?? (err as Error).message}\n`,
    );
    return 1;
  }
  let answer: Answer;
  try {
    answer = JSON.parse(text);
  } catch {
    answer = undefined;
  }
  if (status !== 200) {
    // The admin API's errors are {"error": {"code", "message"}} (docs/operations.md "Errors").
    const message =
      typeof answer?.error?.message === 'string'
        ? answer.error.message
        : typeof answer?.error === 'string'
          ? answer.error
          : text.trim() || 'no message';
    process.stderr.write(`switchboard ctl: ${message} (HTTP ${status})\n`);
    return 1;
  }
  if (answer === undefined) {
    process.stderr.write(`switchboard ctl: the server's answer is not JSON\n`);
    return 1;
  }
  process.stdout.write(`${values.json ? JSON.stringify(answer, null, 2) : call.show(answer)}\n`);
  return 0;
}

/** One line and where to read more: the whole usage text would bury the mistake. */
function usageError(message: string): number {
  process.stderr.write(`switchboard ctl: ${message} (see switchboard ctl --help)\n`);
  return 2;
}

export const command: Command = { usage, run };
