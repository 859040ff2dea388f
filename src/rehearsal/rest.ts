/**
 * Small HTTP(S) JSON client for the Patroni REST API and etcd's health endpoint: bounded by a timeout,
 * with the rehearsal CA and optional basic auth.
 */
import http from 'node:http';
import https from 'node:https';

export interface HttpOptions {
  readonly method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  readonly body?: unknown;
  /** `user:password` for basic auth. */
  readonly auth?: string;
  /** PEM of the CA that signed the server certificate. */
  readonly ca?: string | Buffer;
  /** Client certificate and key (PEM) for mutual TLS. */
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  /** Default 2000 ms. */
  readonly timeoutMs?: number;
}

export interface HttpResult {
  readonly status: number;
  readonly text: string;
  json<T = unknown>(): T;
}

export function request(url: string, opts: HttpOptions = {}): Promise<HttpResult> {
  const u = new URL(url);
  const lib = u.protocol === 'https:' ? https : http;
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = lib.request(
      u,
      {
        method: opts.method ?? 'GET',
        timeout: opts.timeoutMs ?? 2000,
        headers: {
          ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}),
          ...(opts.auth ? { authorization: `Basic ${Buffer.from(opts.auth).toString('base64')}` } : {}),
        },
        ...(u.protocol === 'https:'
          ? {
              ca: opts.ca,
              cert: opts.cert,
              key: opts.key,
              // Certificates name the node's address; loopback addresses are in their SAN.
              rejectUnauthorized: opts.ca !== undefined,
            }
          : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            text,
            json: <T>() => JSON.parse(text) as T,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${opts.method ?? 'GET'} ${url}: timed out`)));
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

/** The parts of Patroni's `GET /cluster` the rehearsal reads. */
export interface PatroniCluster {
  readonly members: readonly {
    readonly name: string;
    readonly role: 'leader' | 'replica' | 'sync_standby' | 'standby_leader' | string;
    readonly state: string;
    readonly host?: string;
    readonly port?: number;
    readonly timeline?: number;
    readonly lag?: number | string;
  }[];
}
