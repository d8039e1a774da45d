// SSH keepalives (R-SSH-3, half-open connections): a client that stops answering without closing
// its connection (here: the OpenSSH client process stopped with SIGSTOP, its socket open, no FIN)
// is dropped once `--ssh-keepalive-count` keepalives in a row go unanswered; a quiet client that
// answers them (the session beside it) keeps its console. Real OpenSSH clients, the built server.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import type { SshRig } from '../helpers/ssh-console';
import { sshRigForFile } from '../helpers/ssh-rig-file';
import { waitUntil } from '../helpers/console-server';

let rig: SshRig;
const clients: ChildProcess[] = [];

sshRigForFile(
  [
    { name: 'alice', roles: ['operator'] },
    { name: 'bob', roles: ['operator'] },
  ],
  {},
  { prepare: (r) => (rig = r), serveArgs: ['--ssh-keepalive', '1', '--ssh-keepalive-count', '2'] },
);

// Registered after the rig's: runs before the rig stops (after-hooks run last-registered first).
afterAll(async () => {
  for (const c of clients) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGCONT');
      c.kill('SIGKILL');
    }
  }
});

/** `ssh -tt` (a pty asked for though stdin is a pipe): the console, its output collected. */
function client(name: string): { proc: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const proc = spawn('ssh', rig.sshArgs(name, { tty: true, extra: ['-t'] }), { env: { ...process.env, HOME: rig.base }, stdio: ['pipe', 'pipe', 'pipe'] });
  clients.push(proc);
  let text = '';
  proc.stdout!.on('data', (d: Buffer) => (text += d.toString('utf8')));
  proc.stderr!.on('data', (d: Buffer) => (text += d.toString('utf8')));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return { proc, out: () => text, exited };
}

function within<T>(p: Promise<T>, what: string, ms = 20_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)))]).finally(() => clearTimeout(timer));
}

describe('SSH keepalives', () => {
  it('a frozen client (SIGSTOP, no FIN) is dropped after the unanswered keepalives; the quiet one beside it stays', async () => {
    const frozen = client('alice');
    const quiet = client('bob');
    await waitUntil('both consoles drawn', () => frozen.out().includes('doai-orchestrator') && quiet.out().includes('doai-orchestrator'), 30_000);
    frozen.proc.kill('SIGSTOP');
    await rig.server!.waitLog(/ssh: alice \(ssh-key [^)]+\) from 127\.0\.0\.1: 2 keepalives in a row unanswered \(every 1 s\) — connection dropped/, 30_000);
    await rig.server!.waitLog(/ssh: alice \(ssh-key [^)]+\) from 127\.0\.0\.1 disconnected/, 10_000);
    // Bob said nothing all that time, but his client answered every keepalive: still connected.
    expect(rig.server!.log()).not.toMatch(/ssh: bob .*(keepalives|disconnected)/);
    const before = quiet.out().length;
    quiet.proc.stdin!.write('?');
    await waitUntil('bob\'s console answers a key', () => quiet.out().slice(before).includes('Esc close'), 20_000).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(quiet.out().slice(before).slice(-3000))}`);
    });
    // Alice's client, woken up, finds its connection gone.
    frozen.proc.kill('SIGCONT');
    expect(await within(frozen.exited, 'alice\'s client to exit')).toBe(255);
    // q closes the help, q leaves.
    quiet.proc.stdin!.write('qq');
    expect(await within(quiet.exited, 'bob\'s client to exit')).toBe(0);
  }, 90_000);
});
