// Renewing the TLS certificate of a running server (SIGHUP): re-read the configured files and swap
// them into the HTTPS server for new handshakes; open connections keep the one they started with.
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext, Server as TlsServer } from 'node:tls';
import type { Logger } from 'pino';
import type { Listener } from '../transport/listener.js';
import type { Config } from './config-schema.js';

export interface TlsReloadResult {
  ok: boolean;
  error?: string;
}

export async function swapTls(
  tls: Config['tls'],
  listener: Listener,
  logger: Logger,
): Promise<TlsReloadResult> {
  // An https server is a tls.Server; a plain http one (no `tls` in the config) has nothing to swap.
  // Not an error: nothing is wrong with what is being served.
  if (!tls || !(listener.server instanceof TlsServer)) {
    logger.warn('tls reload asked for, but tls is not configured: nothing to reload');
    return { ok: false, error: 'tls is not configured' };
  }
  const fail = (error: string, err?: unknown): TlsReloadResult => {
    logger.error(
      { err, cert: tls.cert, key: tls.key },
      `tls reload failed, still serving the previous certificate: ${error}`,
    );
    return { ok: false, error };
  };
  let pair: { cert: Buffer; key: Buffer };
  try {
    const [cert, key] = await Promise.all([readFile(tls.cert), readFile(tls.key)]);
    pair = { cert, key };
  } catch (err) {
    return fail(`cannot read ${(err as NodeJS.ErrnoException).path ?? 'a tls file'}: ${message(err)}`, err);
  }
  try {
    // Built separately first: setSecureContext overwrites some server fields before it builds the
    // context, so a bad pair is refused here, with the running context untouched.
    createSecureContext(pair);
    listener.server.setSecureContext(pair);
  } catch (err) {
    return fail(`not a usable certificate and key: ${message(err)}`, err);
  }
  logger.info(
    { cert: tls.cert, key: tls.key, fingerprint256: fingerprintOf(pair.cert) },
    'tls certificate reloaded',
  );
  return { ok: true };
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** SHA-256 fingerprint of the leaf (first) certificate, as operators compare it with openssl. */
function fingerprintOf(pem: Buffer): string | undefined {
  try {
    return new X509Certificate(pem).fingerprint256;
  } catch {
    return undefined;
  }
}
