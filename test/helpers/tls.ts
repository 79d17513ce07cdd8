// Self-signed certificates and HTTPS requests for the TLS tests (openssl makes the certificates,
// so the server is tested with what an operator's tooling produces, not with a bundled fixture).
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';

export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface CertFiles {
  cert: string;
  key: string;
  pem: Buffer;
  fingerprint: string;
}

/** A fresh self-signed EC certificate for 127.0.0.1 and localhost, as `<dir>/<name>.crt|.key`. */
export function makeCert(dir: string, name: string): CertFiles {
  const [cert, key] = [join(dir, `${name}.crt`), join(dir, `${name}.key`)];
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'ignore' },
  );
  const pem = readFileSync(cert);
  return { cert, key, pem, fingerprint: new X509Certificate(pem).fingerprint256 };
}

/** HTTPS request trusting only `ca`; resolves with status and parsed JSON body. */
export function httpsJson(url: string, ca: Buffer, method = 'GET', body?: unknown) {
  return new Promise<{ status: number; body: any }>((resolve, reject) => {
    const req = httpsRequest(url, { method, ca, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
