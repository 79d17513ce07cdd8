// The admin API as the page calls it (docs/operations.md "Admin API"): JSON, with the admin key as
// a Bearer token on every request.

/**
 * The credentials in use: the Authorization header value (`Bearer KEY`, or `Basic ...` for a rocket
 * manager), and the role they give. `header` is null when signed out; '' for a server without a key.
 */
export const auth = { header: null, role: 'admin', label: '' };

/** `Authorization` value of a rocket user: Basic base64(utf-8 "namespace/user:secret"). */
export function basicHeader(ns, user, secret) {
  const bytes = new TextEncoder().encode(`${ns}/${user}:${secret}`);
  return `Basic ${btoa(String.fromCharCode(...bytes))}`;
}

/** The server refused the credentials (401/403): the page goes back to the sign-in form. */
export class AuthError extends Error {}

/** No answer at all: the server is down or the network is. */
export class NetworkError extends Error {}

/** Calls `/admin/api<path>`; resolves with the JSON answer, throws AuthError, NetworkError or Error. */
export async function api(path, { method = 'GET', body, header = auth.header } = {}) {
  const headers = {};
  if (header) headers.authorization = header;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(`/admin/api${path}`, {
      method,
      headers,
      cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new NetworkError(err.message);
  }
  let json = null;
  try {
    json = await res.json();
  } catch {
    json = null;
  }
  // Failures are {"error": {"code", "message"}} (docs/operations.md "Errors").
  const message = typeof json?.error?.message === 'string' ? json.error.message : `HTTP ${res.status}`;
  if (res.status === 401 || res.status === 403) throw new AuthError(message);
  if (!res.ok) throw new Error(message);
  return json;
}

export const seg = encodeURIComponent;
