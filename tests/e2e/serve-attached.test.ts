// One evaluator (R-SRV-1) and attached consoles (R-SRV-2), with the BUILT binary: a server on the
// demo fleet, a real loopback webhook receiver counting posts, and wall screens attached in real
// terminals (tmux). Each crash of the orchestrator is posted FIRING once and RESOLVED once whether
// 0, 1 or 3 consoles are attached. The wall screen says where its facts come from; when the server
// restarts under three attached wall screens they say `server restarting — reconnecting` and come
// back by themselves. An operator console beside the server takes its health from it too.
import { createServer, type Server } from 'node:http';
import { appendFileSync, chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDemoFleet, type DemoFleet } from '../../src/demo/fleet';
import { BIN, waitForProcessesGone } from '../helpers/cli';
import { startServer, waitUntil, type RunningServer } from '../helpers/console-server';
import { startTmux, type TmuxSession } from '../helpers/tmux';

let base = '';
let fleet: DemoFleet | undefined;
let receiver: Server | undefined;
const servers: RunningServer[] = [];
const terms: TmuxSession[] = [];

afterEach(async () => {
  for (const t of terms.splice(0)) t.kill();
  for (const s of servers.splice(0)) await s.stop('SIGKILL');
  await new Promise((r) => (receiver ? receiver.close(() => r(undefined)) : r(undefined)));
  receiver = undefined;
  await fleet?.stop();
  fleet = undefined;
  if (base) {
    await waitForProcessesGone(base);
    rmSync(base, { recursive: true, force: true, maxRetries: 10 });
  }
});

async function receive(): Promise<{ url: string; posts: string[] }> {
  const posts: string[] = [];
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      posts.push((JSON.parse(body) as { text: string }).text);
      res.end('ok');
    });
  });
  await new Promise<void>((r) => receiver!.listen(0, '127.0.0.1', () => r()));
  const port = (receiver.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/hooks/ops`, posts };
}

const ATTACHED = (socket: string) => `attached to ${socket}`;
const count = (posts: string[], prefix: string) => posts.filter((p) => p.startsWith(prefix)).length;

describe('serve: one evaluator, attached wall screens', () => {
  it('posts each firing and resolution once with 0, 1 and 3 attached consoles; the consoles ride out a server restart', async () => {
    base = mkdtempSync(join(tmpdir(), 'doai-serve-e2e-'));
    chmodSync(base, 0o711);
    fleet = await startDemoFleet({ dir: join(base, 'demo'), timeScale: 20, nodeCount: 5 });
    appendFileSync(fleet.configPath, '\nnotifications:\n  webhooks:\n    - name: ops\n      url_env: DOAI_TEST_OPS_HOOK\n      timeout_s: 2\n      retries: 0\n');
    const hook = await receive();
    const socket = join(base, 'run', 'console.sock');
    const env = { DOAI_TEST_OPS_HOOK: hook.url };
    let server = await startServer(fleet.configPath, socket, [], env);
    servers.push(server);

    const cycle = async (n: number) => {
      fleet!.injectFault('crash');
      await waitUntil(`FIRING #${n}`, () => count(hook.posts, '[FIRING] orchestrator_down') >= n, 30_000);
      fleet!.injectFault('clear');
      await waitUntil(`RESOLVED #${n}`, () => count(hook.posts, '[RESOLVED] orchestrator_down') >= n, 30_000);
    };
    const watch = () => {
      const t = startTmux(`node ${BIN} watch --socket ${socket} --lang en --interval 1`, { cols: 160, rows: 30, env: { NO_COLOR: '1' } });
      terms.push(t);
      return t;
    };

    // Nobody watching: the server alone notices and posts.
    await cycle(1);

    // One wall screen attached: it shows the server's facts and says so; no second evaluator.
    const first = watch();
    await first.waitFor(`attached to ${socket}`);
    await first.waitFor('No alerts firing · evaluated by the server');
    await cycle(2);

    // Three: two wall screens and an operator console, whose health is the server's (no
    // prober, no evaluator of its own, though it has the webhook secret too; its header says where
    // the facts come from).
    const operator = startTmux(`node ${BIN} --config ${fleet.configPath} --socket ${socket} --lang en`, { cols: 160, rows: 40, env: { NO_COLOR: '1', ...env } });
    terms.push(operator);
    const more = [watch(), operator];
    for (const t of more) await t.waitFor(ATTACHED(socket));
    fleet.injectFault('crash');
    await operator.waitFor(/orchestrator_down/);
    await cycle(3);
    await first.waitFor(/ALL UP/);

    // Each transition exactly once, across all three phases.
    expect(count(hook.posts, '[FIRING] orchestrator_down')).toBe(3);
    expect(count(hook.posts, '[RESOLVED] orchestrator_down')).toBe(3);

    // The server restarts under three attached consoles: they say so, then come back unprompted.
    expect(await server.stop('SIGTERM')).toBe(0);
    for (const t of [first, ...more]) await t.waitFor('server restarting — reconnecting');
    server = await startServer(fleet.configPath, socket, [], env);
    servers.push(server);
    for (const t of [first, ...more]) await t.waitFor(`attached to ${socket}`);
    await server.waitLog(/attached: root \(uid 0\) #\d+[\s\S]*attached: root \(uid 0\) #\d+[\s\S]*attached: root \(uid 0\) #\d+/);

    // The new server is the one evaluator now: one more cycle, one more post each.
    await cycle(4);
    expect(count(hook.posts, '[FIRING] orchestrator_down')).toBe(4);
    expect(count(hook.posts, '[RESOLVED] orchestrator_down')).toBe(4);
  }, 180_000);
});
