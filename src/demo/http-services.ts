// The demo fleet's HTTP side, each on its own loopback port: the orchestrator (/health, /nodes,
// /ws), caddy's health listener, the fake Vultr v2 API and the fault-injection control endpoint.
import http from 'node:http';
import type net from 'node:net';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { DemoBox } from './box';
import { SIM } from './box';
import { FAULT_NAMES, isFaultName, unknownFaultMessage, type FaultName } from './faults';

export interface DemoHttpServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

async function listen(handler: http.RequestListener, onUpgrade?: (req: http.IncomingMessage, socket: net.Socket) => void): Promise<DemoHttpServer & { server: http.Server }> {
  const server = http.createServer(handler);
  // Idle keep-alive sockets must not hold stop() up.
  server.keepAliveTimeout = 2_000;
  if (onUpgrade) server.on('upgrade', (req, socket) => onUpgrade(req, socket as net.Socket));
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  const sockets = new Set<net.Socket>();
  let closing = false;
  server.on('connection', (s) => {
    // One accepted while stop() runs would keep server.close() waiting for ever.
    if (closing) return s.destroy();
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        server.close(() => resolve());
        // Upgraded (WebSocket) sockets are not tracked by closeAllConnections; ours are.
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
      }),
  };
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** "Not answering": the connection is dropped without a response, as a dead process would. */
function notAnswering(req: http.IncomingMessage): void {
  req.socket.destroy();
}

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function websocketAccept(key: string): string {
  return createHash('sha1').update(key + WS_GUID).digest('base64');
}

export async function startOrchestratorServer(box: DemoBox): Promise<DemoHttpServer> {
  return listen(
    (req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (box.orchestratorHealth() === 'down') return notAnswering(req);
      if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { detail: 'Method Not Allowed' });
      if (path === '/health') {
        const reply = () => {
          const h = box.orchestratorHealth();
          if (h === 'down') return notAnswering(req);
          if (h === 'starting') return json(res, 503, { status: 'starting' });
          json(res, 200, { status: 'ok' });
        };
        // Latency is a fact the console measures: it is not compressed by the time scale.
        if (box.faults.slow) {
          const cancel = box.timers.after(SIM.slowHealthRealMs, () => !res.destroyed && reply(), true);
          res.once('close', cancel);
        } else reply();
        return;
      }
      if (path === '/nodes') {
        if (box.orchestratorHealth() !== 'ok') return json(res, 503, { detail: 'starting' });
        return json(res, 200, { nodes: box.nodes() });
      }
      json(res, 404, { detail: 'Not Found' });
    },
    (req, socket) => {
      socket.on('error', () => {});
      const path = (req.url ?? '/').split('?')[0];
      const key = req.headers['sec-websocket-key'];
      if (box.orchestratorHealth() === 'down') return socket.destroy();
      if (path !== '/ws' || typeof key !== 'string' || (req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
        socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      if (box.orchestratorHealth() !== 'ok') {
        socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\n' +
          'Upgrade: websocket\r\n' +
          'Connection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${websocketAccept(key)}\r\n\r\n`,
      );
      // A clean close (1000). The console only checks that the socket is accepted; device
      // traffic is not simulated. The client's close frame is answered by ending the socket.
      socket.write(Buffer.from([0x88, 0x02, 0x03, 0xe8]));
      socket.once('data', () => socket.end());
      const t = box.timers.after(2_000, () => socket.destroy(), true);
      socket.once('close', t);
    },
  );
}

/** Caddy's listener: up exactly while the caddy unit runs on a box that is up. */
export async function startCaddyServer(box: DemoBox): Promise<DemoHttpServer> {
  return listen((req, res) => {
    if (!box.caddyUp()) return notAnswering(req);
    res.writeHead(200, { 'content-type': 'text/plain', server: 'Caddy' });
    res.end('OK\n');
  });
}

function bearerMatches(header: string | undefined, key: string): boolean {
  const m = /^Bearer (.+)$/.exec(header ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1]!);
  const want = Buffer.from(key);
  return given.length === want.length && timingSafeEqual(given, want);
}

/** A fake of Vultr API v2's two instance calls the L3 runbook uses. */
export async function startProviderServer(box: DemoBox, opts: { apiKey: string; instanceId: string }): Promise<DemoHttpServer> {
  return listen((req, res) => {
    const m = /^\/v2\/instances\/([^/?]+)(\/reboot)?\/?(?:\?.*)?$/.exec(req.url ?? '');
    if (!m) return json(res, 404, { error: 'Not found.', status: 404 });
    if (!bearerMatches(req.headers.authorization, opts.apiKey)) return json(res, 401, { error: 'Invalid API token.', status: 401 });
    if (decodeURIComponent(m[1]!) !== opts.instanceId) return json(res, 404, { error: 'Invalid instance-id.', status: 404 });
    req.resume();
    if (m[2]) {
      if (req.method !== 'POST') return json(res, 405, { error: 'Method not allowed.', status: 405 });
      box.reboot();
      res.writeHead(204);
      return res.end();
    }
    if (req.method !== 'GET') return json(res, 405, { error: 'Method not allowed.', status: 405 });
    const power = box.power === 'rebooting' ? 'stopped' : 'running';
    json(res, 200, {
      instance: {
        id: opts.instanceId,
        label: 'demo-vm',
        main_ip: '127.0.0.1',
        status: 'active',
        power_status: power,
        server_status: box.isUp() ? 'ok' : 'none',
      },
    });
  });
}

/** POST /fault/<name> and GET /state, both behind the x-doai-token header. */
export async function startControlServer(opts: { token: string; inject(name: FaultName): void; state(): unknown }): Promise<DemoHttpServer> {
  const want = Buffer.from(opts.token);
  return listen((req, res) => {
    const given = Buffer.from(String(req.headers['x-doai-token'] ?? ''));
    if (given.length !== want.length || !timingSafeEqual(given, want)) {
      return json(res, 403, { error: 'missing or wrong x-doai-token: read it from the control.token file in the demo directory' });
    }
    req.resume();
    const path = (req.url ?? '/').split('?')[0]!;
    const fault = /^\/fault\/([^/]+)$/.exec(path);
    if (fault) {
      if (req.method !== 'POST') return json(res, 405, { error: 'use POST' });
      const name = decodeURIComponent(fault[1]!);
      if (!isFaultName(name)) return json(res, 400, { error: unknownFaultMessage(name), faults: FAULT_NAMES });
      opts.inject(name);
      return json(res, 200, { ok: true, fault: name, state: opts.state() });
    }
    if (path === '/state' && req.method === 'GET') return json(res, 200, opts.state());
    json(res, 404, { error: 'not found: use POST /fault/<name> or GET /state' });
  });
}
