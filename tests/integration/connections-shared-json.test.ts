// The socket serialises a snapshot once for every console (src/server/connections.ts): what each
// console reads must stay exactly the frame encodeFrame would have written for it — Dates as
// {"$date": ms}, its own seq per topic, a new snapshot never answered from an older one's JSON —
// and a view made per console (the approval code only for the requester) must not be shared.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchedStore } from '../../src/core/store';
import { encodeFrame, decodeFrame } from '../../src/protocol/wire';
import { challengeDirFor } from '../../src/protocol/socket-path';
import { Connections, encodeSnapshotData } from '../../src/server/connections';
import { prepareChallengeDir } from '../../src/server/identity';
import type { TopicName } from '../../src/protocol/messages';

class Settable<S> extends BatchedStore<S> {
  put(next: S): void {
    this.set(next);
  }
}

interface Raw {
  socket: Socket;
  lines: string[];
  send(o: unknown): void;
  line(pred: (l: string) => boolean): Promise<string>;
}

function raw(path: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    const lines: string[] = [];
    let buf = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        lines.push(buf.slice(0, nl + 1));
        buf = buf.slice(nl + 1);
      }
    });
    socket.once('error', reject);
    socket.once('connect', () =>
      resolve({
        socket,
        lines,
        send: (o) => socket.write(encodeFrame(o)),
        async line(pred) {
          for (let i = 0; i < 200; i++) {
            const l = lines.find(pred);
            if (l) return l;
            await new Promise((r) => setTimeout(r, 25));
          }
          throw new Error(`no such frame; got ${lines.join('').slice(0, 500)}`);
        },
      }),
    );
  });
}

let dir = '';
let hub: Connections | undefined;
const clients: Raw[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'doai-conn-json-'));
});

afterAll(async () => {
  for (const c of clients) c.socket.destroy();
  await hub?.close('test over', false);
  rmSync(dir, { recursive: true, force: true });
});

describe('snapshots serialised once for every console', () => {
  it('encodes data exactly as encodeFrame does — Dates anywhere, invalid ones, undefined fields — and leaves Date.toJSON as it was', () => {
    const toJSON = Date.prototype.toJSON;
    const data = {
      at: new Date(1_796_300_000_123),
      list: [new Date(0), { deep: [new Date(5)] }, null, 'text "quoted" \u2028', 1.5],
      invalid: new Date(Number.NaN),
      gone: undefined,
      nested: { when: null, n: -0, s: '한국어' },
    };
    expect(encodeSnapshotData(data)).toBe(encodeFrame(data).slice(0, -1));
    expect(decodeFrame(`{"t":"x","d":${encodeSnapshotData(data)}}`).d).toEqual(decodeFrame(`{"t":"x","d":${encodeFrame(data).slice(0, -1)}}`).d);
    expect(Date.prototype.toJSON).toBe(toJSON);
    expect(JSON.stringify(new Date(0))).toBe('"1970-01-01T00:00:00.000Z"');
  });


  it('every console reads the exact frame encodeFrame makes, with its own seq; a new snapshot is sent anew; per-console views stay per console', async () => {
    const socket = join(dir, 'run', 'console.sock');
    mkdirSync(join(dir, 'run'), { mode: 0o755 });
    const challengeDir = challengeDirFor(socket);
    prepareChallengeDir(challengeDir, process.geteuid!());
    const at = new Date('2026-12-03T10:00:00Z');
    const nodes = new Settable({ total: 2, nodes: [{ id: 'n1', lastHeartbeat: at }, { id: 'n2', lastHeartbeat: null }], updatedAt: at });
    const console1 = {
      runs: [{ runId: 'r1', operator: 'alice', state: 'running', prompt: { kind: 'approval', step: 1, phase: 'code', mode: 'code', code: '8D37AE', message: { en: 'Read code 8D37AE', ko: '코드 8D37AE' } } }],
      outputVersion: 0,
      output: {},
    };
    const consoleTopic = new Settable(console1);
    hub = new Connections({
      socket,
      challengeDir,
      log: () => undefined,
      topics: { nodes, console: consoleTopic } as never,
      handle: async () => null,
    });
    await hub.listen();

    const attach = async (): Promise<Raw> => {
      const c = await raw(socket);
      clients.push(c);
      const hello = decodeFrame(await c.line((l) => l.includes('"hello"')));
      writeFileSync(join(challengeDir, String(hello.nonce)), '', { flag: 'wx', mode: 0o600 });
      c.send({ t: 'auth', client: hello.server });
      await c.line((l) => l.includes('"welcome"'));
      return c;
    };
    const a = await attach();
    a.send({ t: 'subscribe', topics: ['nodes', 'console'] satisfies TopicName[] });
    const first = await a.line((l) => l.includes('"topic":"nodes"'));
    expect(first).toBe(encodeFrame({ t: 'snapshot', topic: 'nodes', seq: 1, data: nodes.getSnapshot() }));
    expect(decodeFrame(first).data).toEqual(nodes.getSnapshot());

    // A second console subscribing later: same bytes for the same snapshot, its own seq.
    const b = await attach();
    b.send({ t: 'subscribe', topics: ['nodes'] });
    expect(await b.line((l) => l.includes('"topic":"nodes"'))).toBe(first);

    // A new snapshot: both get it, not the older one's JSON.
    const later = new Date('2026-12-03T10:00:05Z');
    nodes.put({ total: 1, nodes: [{ id: 'n1', lastHeartbeat: later }], updatedAt: later });
    const second = encodeFrame({ t: 'snapshot', topic: 'nodes', seq: 2, data: nodes.getSnapshot() });
    expect(await a.line((l) => l.includes('"topic":"nodes","seq":2'))).toBe(second);
    expect(await b.line((l) => l.includes('"topic":"nodes","seq":2'))).toBe(second);
    expect(decodeFrame(second).data).toEqual({ total: 1, nodes: [{ id: 'n1', lastHeartbeat: later }], updatedAt: later });

    // The console topic is a view per console: this one (not alice) never gets the code.
    const consoleFrame = await a.line((l) => l.includes('"topic":"console"'));
    expect(consoleFrame).not.toContain('8D37AE');
    expect(consoleFrame).toContain('Approval requested by alice');
    expect(encodeFrame(console1)).toContain('8D37AE');
  });
});
