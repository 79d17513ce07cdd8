/** Small fetch wrappers: tests read status, headers and parsed JSON in one call. */
export interface HttpAnswer<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export async function http<T = any>(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpAnswer<T>> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: leave the text
  }
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}

export const get = <T = any>(url: string, headers?: Record<string, string>) =>
  http<T>('GET', url, undefined, headers);
export const post = <T = any>(url: string, body: unknown, headers?: Record<string, string>) =>
  http<T>('POST', url, body, headers);
