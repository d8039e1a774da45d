// The demo box's sshd: ssh2's Server behind our own TCP listener, so a hung or rebooting box can
// drop connections at once (box-down) while keeping its port for when it comes back.
import net from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import ssh2 from 'ssh2';
import type { Connection, ServerChannel } from 'ssh2';
import type { DemoBox } from './box';
import { runShell, type ShellSession } from './shell';
import { PID_MARKER, parseKillCommand, unwrapCommand } from '../ssh/process-group';

const { Server, utils } = ssh2;

export interface DemoSshServer {
  port: number;
  /** Open SSH connections (authenticated or not). */
  connections(): number;
  close(): Promise<void>;
}

export interface DemoSshOptions {
  box: DemoBox;
  /** OpenSSH-format private host key. */
  hostKey: string;
  /** The one public key allowed in, "ssh-ed25519 AAAA..." */
  clientPublicKey: string;
  user?: string;
}

export async function startDemoSshServer(opts: DemoSshOptions): Promise<DemoSshServer> {
  const allowed = utils.parseKey(opts.clientPublicKey);
  if (allowed instanceof Error) throw new Error(`demo client key is unreadable: ${allowed.message}`);
  const allowedKey = Array.isArray(allowed) ? allowed[0]! : allowed;
  const allowedBlob = allowedKey.getPublicSSH();
  const user = opts.user ?? 'root';
  const box = opts.box;

  const sockets = new Set<net.Socket>();
  const aborts = new Set<AbortController>();

  /** Commands started through the console's process-group wrapper, by the pid they reported. */
  const byPid = new Map<number, AbortController>();
  let nextPid = 20_000;

  // ssh2's default ident (ssh2js…) tells the console this is a simulated host, so it ends
  // commands with the signal request; wrapped commands and group kills work as well.
  const ssh = new Server({ hostKeys: [opts.hostKey] }, (client: Connection) => {
    client.on('error', () => {
      // A dropped client (box-down, reboot, test teardown) is normal here.
    });
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey' || ctx.username !== user) return ctx.reject(['publickey']);
      const blob = ctx.key.data;
      const same = ctx.key.algo === allowedKey.type && blob.length === allowedBlob.length && timingSafeEqual(blob, allowedBlob);
      if (!same) return ctx.reject(['publickey']);
      // Without a signature the client only asks whether the key would do.
      if (ctx.signature && ctx.blob && !allowedKey.verify(ctx.blob, ctx.signature, ctx.hashAlgo)) return ctx.reject(['publickey']);
      ctx.accept();
    });
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        let current: AbortController | undefined;
        let signalled: string | undefined;
        const shellSession: ShellSession = { cwd: '/root' };
        session.on('pty', (accept) => accept?.());
        session.on('env', (accept) => accept?.());
        session.on('signal', (accept, _reject, info) => {
          accept?.();
          signalled = info.name;
          current?.abort();
        });
        session.on('exec', (accept, _reject, info) => {
          const stream = accept();
          const ac = new AbortController();
          current = ac;
          aborts.add(ac);
          let closed = false;
          stream.on('close', () => {
            closed = true;
            ac.abort();
          });
          stream.on('error', () => {});
          const killPid = parseKillCommand(info.command);
          if (killPid !== undefined) {
            byPid.get(killPid)?.abort();
            aborts.delete(ac);
            stream.exit(0);
            stream.end();
            return;
          }
          let command = info.command;
          const inner = unwrapCommand(command);
          let pid: number | undefined;
          if (inner !== undefined) {
            pid = nextPid++;
            byPid.set(pid, ac);
            stream.write(`${PID_MARKER} ${pid}\n`);
            command = inner;
          }
          void runShell(command, {
            box,
            signal: ac.signal,
            session: shellSession,
            io: {
              stdout: (s) => !closed && stream.write(s),
              stderr: (s) => !closed && stream.stderr.write(s),
            },
          })
            .catch((e: unknown) => {
              if (!closed) stream.stderr.write(`sh: internal error in the demo shell: ${e instanceof Error ? e.message : String(e)}\n`);
              return 1;
            })
            .then((code) => {
              aborts.delete(ac);
              if (pid !== undefined) byPid.delete(pid);
              if (closed) return;
              if (signalled) stream.exit(signalled.replace(/^SIG/, ''), false, '');
              else stream.exit(code);
              stream.end();
            });
        });
        session.on('shell', (accept) => interactiveShell(accept(), box, shellSession, aborts));
      });
    });
  });

  let closing = false;
  const tcp = net.createServer((socket) => {
    // A hung or rebooting box answers nothing: the connection dies before the SSH banner.
    // A connection accepted while stop() runs would otherwise outlive the fleet.
    if (!box.isUp() || closing) return socket.destroy();
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    ssh.injectSocket(socket);
  });
  const dropAll = () => {
    for (const ac of aborts) ac.abort();
    for (const s of sockets) s.destroy();
  };
  const unsubscribe = box.onPowerLoss(dropAll);

  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (tcp.address() as net.AddressInfo).port;

  return {
    port,
    connections: () => sockets.size,
    close: async () => {
      closing = true;
      unsubscribe();
      dropAll();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    },
  };
}

/** `ssh root@127.0.0.1 -p <port>` without a command: a minimal line-at-a-time prompt. */
function interactiveShell(stream: ServerChannel, box: DemoBox, session: ShellSession, aborts: Set<AbortController>): void {
  const prompt = () => stream.write(`root@${box.hostName}:${session.cwd === '/root' ? '~' : session.cwd}# `);
  let buf = '';
  let running: AbortController | undefined;
  stream.on('error', () => {});
  stream.on('close', () => running?.abort());
  stream.write('Welcome to the doai-console demo box (simulated; type exit to leave).\r\n');
  prompt();
  // Typed-ahead input waits while a command runs (Ctrl-C interrupts it), like a real tty.
  let pending = '';
  const pump = (): void => {
    while (pending.length > 0 && !running) {
      const ch = pending[0]!;
      pending = pending.slice(1);
      if (ch === '\r' || ch === '\n') {
        stream.write('\r\n');
        const text = buf.trim();
        buf = '';
        if (text === 'exit' || text === 'logout') {
          stream.exit(0);
          stream.end();
          pending = '';
          return;
        }
        if (text === '') {
          prompt();
          continue;
        }
        const ac = new AbortController();
        running = ac;
        aborts.add(ac);
        const crlf = (t: string) => t.replace(/\r?\n/g, '\r\n');
        void runShell(text, { box, signal: ac.signal, session, io: { stdout: (t) => stream.write(crlf(t)), stderr: (t) => stream.write(crlf(t)) } })
          .catch(() => 1)
          .then(() => {
            aborts.delete(ac);
            running = undefined;
            prompt();
            pump();
          });
      } else if (ch === '\u007f') {
        if (buf.length > 0) {
          buf = buf.slice(0, -1);
          stream.write('\b \b');
        }
      } else if (ch === '\u0003') {
        buf = '';
        stream.write('^C\r\n');
        prompt();
      } else if (ch === '\u0004') {
        stream.exit(0);
        stream.end();
        pending = '';
        return;
      } else if (ch >= ' ') {
        buf += ch;
        stream.write(ch);
      }
    }
  };
  stream.on('data', (data: Buffer) => {
    const text = data.toString('utf8');
    if (running && text.includes('\u0003')) {
      running.abort();
      pending += text.slice(text.indexOf('\u0003') + 1);
    } else pending += text;
    pump();
  });
}
