// The server's HTTP listener (`serve --metrics ADDR`): GET /metrics for Prometheus and, on the same
// port, POST /api/alertmanager for Alertmanager's webhook. Loopback unless the operator names
// another address. Every request is answered; a handler that throws becomes a 500 with no detail
// (the detail goes to the server log).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { parseAddressFlag, type ListenAddress } from './listen-address';
import type { ServerLog } from './log';

export const DEFAULT_METRICS_PORT = 9464;
export const DEFAULT_METRICS_HOST = '127.0.0.1';

export type { ListenAddress };

/**
 * `9464`, `127.0.0.1:9464`, `[::1]:9464`, `localhost:9464`; true (the flag without a value) is
 * 127.0.0.1:9464. Throws an Error in words for anything else.
 */
export function parseListenAddress(value: string | true): ListenAddress {
  return parseAddressFlag(value, { flag: '--metrics', host: DEFAULT_METRICS_HOST, port: DEFAULT_METRICS_PORT, minPort: 1, error: (m) => new Error(m) });
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

export interface HttpListener {
  /** The address actually bound (port 0 gives a free port). */
  readonly address: ListenAddress;
  close(): Promise<void>;
}

/** Routes are "METHOD /path"; an unknown path is 404, a known path with another method 405. */
export async function startHttpListener(addr: ListenAddress, routes: Record<string, HttpHandler>, log: ServerLog): Promise<HttpListener> {
  const paths = new Set(Object.keys(routes).map((r) => r.slice(r.indexOf(' ') + 1)));
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const handler = routes[`${req.method ?? 'GET'} ${path}`];
    if (!handler) {
      req.resume();
      const known = paths.has(path);
      res.writeHead(known ? 405 : 404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(known ? `method ${req.method} not allowed on ${path}\n` : `not found: ${path} (this server serves ${[...paths].join(', ')})\n`);
      return;
    }
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((err: unknown) => {
        log('warn', `http ${req.method} ${path}: ${err instanceof Error ? err.message : String(err)}`);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('internal error (see the server log)\n');
      });
  });
  // Bounded: slow or idle clients cannot hold sockets forever.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(addr.port, addr.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address();
  const address = bound && typeof bound === 'object' ? { host: addr.host, port: bound.port } : addr;
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
