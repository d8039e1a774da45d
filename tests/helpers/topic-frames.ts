// A console's end of one topic on a served socket: a raw client proved as root and subscribed to
// the topic, keeping that topic's snapshot frames as the attached console decodes them, each with
// its seq and its size on the wire (for tests of topics sent as deltas); and the built server fed
// by a loopback HTTP source for such a topic.
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { expect } from 'vitest';
import { decodeFrame } from '../../src/protocol/wire';
import { waitForProcessesGone } from './cli';
import { proveAsRoot, rawClient, startServer, type RawClient, type RunningServer } from './console-server';

export interface TopicConsole<F> {
  raw: RawClient;
  frames: { seq: number; bytes: number; data: F }[];
}

export async function attachTopic<F>(socket: string, topic: string): Promise<TopicConsole<F>> {
  const raw = await rawClient(socket);
  const c: TopicConsole<F> = { raw, frames: [] };
  let buf = '';
  raw.socket.on('data', (d: Buffer | string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl + 1);
      buf = buf.slice(nl + 1);
      const f = decodeFrame(line);
      if (f.t === 'snapshot' && f.topic === topic) c.frames.push({ seq: f.seq as number, bytes: Buffer.byteLength(line), data: f.data as F });
    }
  });
  expect(await proveAsRoot(raw, socket)).toMatchObject({ t: 'welcome' });
  raw.send({ t: 'subscribe', topics: [topic] });
  return c;
}

/** The built `serve` in a temp dir, its config pointing at a loopback HTTP source (health URLs, a node source) served by `handler`. */
export interface ServedSource {
  dir: string;
  socket: string;
  server: RunningServer;
  /** Stops the server and the source, waits for the server's processes, removes the dir. */
  stop(): Promise<void>;
}

/** `config(port, dir)` is the console.yaml without `paths` (all of them go in `dir`). */
export async function serveWithSource(prefix: string, handler: RequestListener, config: (port: number, dir: string) => Record<string, unknown>): Promise<ServedSource> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o711);
  const http = createServer(handler);
  let server: RunningServer | undefined;
  const stop = async () => {
    await server?.stop('SIGTERM');
    http.closeAllConnections();
    await new Promise((r) => http.close(r));
    await waitForProcessesGone(dir);
    rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
  };
  try {
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const port = (http.address() as AddressInfo).port;
    const file = join(dir, 'console.yaml');
    const paths = { state_dir: join(dir, 'state'), known_hosts: join(dir, 'known_hosts'), audit_log: join(dir, 'emergency.log'), approvals_dir: join(dir, 'approvals') };
    writeFileSync(file, stringify({ ...config(port, dir), paths }));
    const socket = join(dir, 'run', 'console.sock');
    server = await startServer(file, socket);
    return { dir, socket, server, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
