// Console output on the socket as deltas (issue 13): a run printing N lines costs an attached
// console bytes in proportion to N, not N² (each frame carries the lines it has not had, not the
// whole tail), and a console attaching mid-run gets the output from the start once, then live,
// and puts together exactly the tail the server holds. The real server (the built binary) runs a
// user runbook whose command prints on a real SSH server (ssh2) at the pace the test sets: a batch
// of lines, then the next once the first console has seen it, so every batch is its own frame.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleOutputStore } from '../../src/attach/console-output';
import type { ConsoleRunsSnapshot } from '../../src/protocol/runs';
import { waitForProcessesGone } from '../helpers/cli';
import { proveAsRoot, rawClient, startServer, waitUntil, type RawClient, type RunningServer } from '../helpers/console-server';
import { startTestSshServer, type TestSshServer } from '../helpers/ssh-server';

const LINES = 120;
const BATCH = 5;
const PAD = 'x'.repeat(160);
const lineText = (i: number) => `L${String(i).padStart(4, '0')} ${PAD}`;

const RUNBOOK = `id: print-lines
level: L1
audit_name: PRINT_LINES
title: { ko: "출력", en: "Print lines" }
approval: auto
target: service
steps:
  - id: print
    kind: ssh
    run: "print-lines"
`;

let dir = '';
let ssh: TestSshServer;
let server: RunningServer;
let socket = '';
let first: RawClient;
let bytes = 0;
let received = '';
let finish: () => void = () => {};
const seenAt: number[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'doai-output-deltas-'));
  chmodSync(dir, 0o711);
  const done = new Promise<void>((r) => (finish = r));
  ssh = await startTestSshServer({
    onExec: async (ctx) => {
      if (ctx.command !== 'print-lines') {
        ctx.stderr(`unexpected: ${ctx.command}\n`);
        return ctx.exit(127);
      }
      for (let i = 1; i <= LINES; i += BATCH) {
        const last = Math.min(LINES, i + BATCH - 1);
        ctx.stdout(Array.from({ length: last - i + 1 }, (_, k) => `${lineText(i + k)}\n`).join(''));
        // The next batch once the first console has this one: each batch is a frame of its own.
        await waitUntil(`line ${last} at the first console`, () => received.includes(lineText(last)), 20_000, 10);
        seenAt[last] = bytes;
      }
      await done;
      ctx.exit(0);
    },
  });
  writeFileSync(join(dir, 'known_hosts'), `${ssh.knownHostsLine}\n`);
  const config = join(dir, 'console.yaml');
  writeFileSync(
    config,
    stringify({
      hosts: [{ name: 'box', address: '127.0.0.1', port: ssh.port, user: 'root', identity_file: ssh.clientKeyPath }],
      services: [{ name: 'svc', host: 'box', health_url: 'http://127.0.0.1:9/health' }],
      paths: { state_dir: join(dir, 'state'), known_hosts: join(dir, 'known_hosts'), audit_log: join(dir, 'emergency.log'), approvals_dir: join(dir, 'approvals') },
    }),
  );
  mkdirSync(join(dir, 'runbooks'));
  writeFileSync(join(dir, 'runbooks', 'print-lines.yaml'), RUNBOOK);
  socket = join(dir, 'run', 'console.sock');
  server = await startServer(config, socket);
  first = await rawClient(socket);
  first.socket.on('data', (d: Buffer | string) => {
    bytes += Buffer.byteLength(d);
    received += d;
  });
  expect(await proveAsRoot(first, socket)).toMatchObject({ t: 'welcome' });
  first.send({ t: 'subscribe', topics: ['console'] });
  await first.next((f) => f.t === 'snapshot' && f.topic === 'console');
}, 60_000);

afterAll(async () => {
  finish();
  first?.socket.destroy();
  await server?.stop('SIGTERM');
  await ssh?.close();
  if (dir) {
    await waitForProcessesGone(dir);
    rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
  }
});

describe('console output as deltas', () => {
  it('bytes to a console grow linearly with the lines printed; a console attached mid-run has them all from the start, then live', async () => {
    first.send({ t: 'intent', id: 1, name: 'run.start', args: { runbook: 'print-lines', target: 'svc' } });
    const started = await first.next((f) => f.t === 'result' && f.id === 1);
    expect(started, JSON.stringify(started)).toMatchObject({ ok: true, value: { ok: true } });
    const runId = (started.value as { runId: string }).runId;

    // Attach a second console half way through; its frames are put together by the client's own
    // store (src/attach/console-output.ts), as an attached console does.
    await waitUntil('half the lines at the first console', () => seenAt[60] !== undefined, 30_000);
    const late = await rawClient(socket);
    let asked = 100;
    const store = new ConsoleOutputStore(async (id) => {
      const n = asked++;
      late.send({ t: 'intent', id: n, name: 'run.tail', args: { runId: id } });
      return (await late.next((f) => f.t === 'result' && f.id === n)).value as { total: number; lines: never[] };
    });
    let fed = 0;
    const feed = () => {
      for (; fed < late.frames.length; fed++) {
        const f = late.frames[fed]!;
        if (f.t === 'snapshot' && f.topic === 'console') store.deliver(f.data as ConsoleRunsSnapshot);
      }
    };
    try {
      expect(await proveAsRoot(late, socket)).toMatchObject({ t: 'welcome' });
      late.send({ t: 'subscribe', topics: ['console'] });
      const firstFrame = await late.next((f) => f.t === 'snapshot' && f.topic === 'console');
      // Its first frame has the run's output from the start, as one reset chunk.
      const chunk = (firstFrame.data as ConsoleRunsSnapshot).output[runId]!;
      expect(chunk).toMatchObject({ from: 0, reset: true });
      expect(chunk.lines.length).toBeGreaterThanOrEqual(60);
      expect(chunk.lines[0]!.line).toBe(lineText(1));

      await waitUntil('every line at the first console', () => seenAt[LINES] !== undefined, 60_000);
      // Linear, not quadratic: the bytes for lines 81–120 are about those for 41–80 (whole tails
      // would make them ~1.6× as many, growing with every line).
      const a = seenAt[80]! - seenAt[40]!;
      const b = seenAt[120]! - seenAt[80]!;
      expect(b / a, `${a} then ${b} bytes`).toBeLessThan(1.25);
      // And each 40 lines cost about their own size plus the run's view per frame, not the tail so far.
      expect(b).toBeLessThan(40 * (PAD.length + 40) * 4);
      const all = await waitUntil('every line at the late console', () => (feed(), store.tail(runId)?.total === LINES ? store.tail(runId) : undefined), 20_000);
      expect(all.lines.map((l) => l.line)).toEqual(Array.from({ length: LINES }, (_, k) => lineText(k + 1)));
      // Then only deltas: no later frame resent the start.
      const later = late.frames.filter((f) => f.t === 'snapshot' && f.topic === 'console').slice(1);
      expect(later.length).toBeGreaterThan(0);
      for (const f of later) {
        const c = (f.data as ConsoleRunsSnapshot).output[runId];
        if (c) expect(c.reset).toBeUndefined();
      }
      // The same tail the server holds.
      late.send({ t: 'intent', id: 1, name: 'run.tail', args: { runId } });
      const tail = (await late.next((f) => f.t === 'result' && f.id === 1)).value as { total: number; lines: unknown[] };
      expect(tail.total).toBe(LINES);
      expect(all.lines).toEqual(tail.lines);

    } finally {
      late.socket.destroy();
      finish();
    }
    await first.next((f) => f.t === 'snapshot' && f.topic === 'console' && ((f.data as { runs: { runId: string; state: string }[] }).runs.some((r) => r.runId === runId && r.state !== 'running')), 30_000);
  }, 120_000);
});
