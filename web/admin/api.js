// The admin API as the page calls it (docs/operations.md "Admin API"): JSON, with the admin key as
// a Bearer token on every request.

/** The key in use; null when signed out. */
export const auth = { key: null };

/** The server refused the credentials (401/403): the page goes back to the sign-in form. */
export class AuthError extends Error {}

/** No answer at all: the server is down or the network is. */
export class NetworkError extends Error {}

/** Calls `/admin/api<path>`; resolves with the JSON answer, throws AuthError, NetworkError or Error. */
export async function api(path, { method = 'GET', body, key = auth.key } = {}) {
  const headers = {};
  if (key) headers.authorization = `Bearer ${key}`;
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
  const message = json && typeof json.error === 'string' ? json.error : `HTTP ${res.status}`;
  if (res.status === 401 || res.status === 403) throw new AuthError(message);
  if (!res.ok) throw new Error(message);
  return json;
}

export const seg = encodeURIComponent;
