import { get } from './http.js';

/** The value of `switchboard_limit_hits_total{limit=...}` as /metrics shows it (0 when absent). */
export async function limitHits(
  serverUrl: string,
  limit: string,
  headers: Record<string, string> = {},
): Promise<number> {
  const r = await get(`${serverUrl}/metrics`, headers);
  if (r.status !== 200) throw new Error(`/metrics answered ${r.status}`);
  const line = r.text
    .split('\n')
    .find((l) => l.startsWith('switchboard_limit_hits_total{') && l.includes(`limit="${limit}"`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** The value of an unlabelled counter or gauge `name` on /metrics (0 when absent). */
export async function metricValue(serverUrl: string, name: string): Promise<number> {
  const line = (await get(`${serverUrl}/metrics`)).text
    .split('\n')
    .find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}
