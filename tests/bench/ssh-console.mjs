// `serve --ssh` (issue 14, Performance): from `ssh` connect to the first full dashboard frame,
// against OpenSSH's own sshd on this machine running `ssh host true` with the same key type
// (ed25519), measured interleaved in the same run. Budget ≤ 1.5×. Both with the OpenSSH client,
// the same options and a pinned host key.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, median, servicesYaml, startPty, startServe } from './lib.mjs';

const SSHD = '/usr/sbin/sshd';

function keygen(path) {
  execFileSync('/usr/bin/ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bench', '-f', path]);
}

function sshArgs(key, port, knownHosts) {
  return ['-F', '/dev/null', '-i', key, '-p', String(port), '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'IdentitiesOnly=yes', '-o', 'IdentityAgent=none', '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR'];
}

export async function sshConsole(work, runs) {
  if (!existsSync(SSHD)) return [{ figure: 'ssh console, connect to first frame', ours: 'skipped', baseline: `${SSHD} missing`, ratio: NaN, budget: '≤ 1.5×', broken: `${SSHD} is not installed (apt-get install openssh-server)` }];
  const dir = join(work, 'ssh');
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o700);
  const key = join(dir, 'id_ed25519');
  keygen(key);
  const pub = readFileSync(`${key}.pub`, 'utf8').trim();
  // OpenSSH's sshd, its own host key, root's key authorised through AuthorizedKeysFile.
  const sshdPort = await freePort();
  const sshdHostKey = join(dir, 'sshd_host_key');
  keygen(sshdHostKey);
  const auth = join(dir, 'authorized_keys');
  writeFileSync(auth, `${pub}\n`, { mode: 0o600 });
  const sshdConfig = join(dir, 'sshd_config');
  writeFileSync(
    sshdConfig,
    [`Port ${sshdPort}`, 'ListenAddress 127.0.0.1', `HostKey ${sshdHostKey}`, `AuthorizedKeysFile ${auth}`, 'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'UsePAM no', 'PermitRootLogin prohibit-password', 'StrictModes no', `PidFile ${join(dir, 'sshd.pid')}`].join('\n') + '\n',
  );
  mkdirSync('/run/sshd', { recursive: true });
  const sshd = spawn(SSHD, ['-D', '-e', '-f', sshdConfig], { stdio: ['ignore', 'ignore', 'pipe'] });
  // The console server with --ssh and the same key as an operator.
  const port = await freePort();
  const cfg = join(dir, 'console.yaml');
  writeFileSync(
    cfg,
    `hosts:\n  - { name: bench-host, address: 127.0.0.1, port: 9 }\nservices:\n${servicesYaml(10, 'bench-host', () => 'http://127.0.0.1:9/health')}\n` +
      `paths:\n  state_dir: ${join(dir, 'state')}\n  known_hosts: ${join(dir, 'known_hosts_fleet')}\n` +
      `operators:\n  unknown: refused\n  people:\n    - { name: bench, keys: ["${pub}"], roles: [operator] }\n`,
  );
  let server;
  try {
    server = await startServe(['--config', cfg, '--socket', join(dir, 'run', 'console.sock'), '--ssh', `127.0.0.1:${port}`], { ready: /operators pin it: (ssh-ed25519 \S+)/ });
    const m = server.match;
    const knownHosts = join(dir, 'known_hosts');
    const sshdPub = readFileSync(`${sshdHostKey}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
    writeFileSync(knownHosts, `[127.0.0.1]:${port} ${m[1]}\n[127.0.0.1]:${sshdPort} ${sshdPub}\n`);
    const series = { sshd: [], console: [] };
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      execFileSync('ssh', [...sshArgs(key, sshdPort, knownHosts), 'root@127.0.0.1', 'true'], { stdio: 'ignore', timeout: 15_000 });
      series.sshd.push(performance.now() - t0);
      const pty = startPty(['ssh', '-t', ...sshArgs(key, port, knownHosts), 'ops@127.0.0.1'].join(' '), { cols: 120, rows: 40 });
      try {
        const at = await pty.waitFor((s) => s.includes('svc-09'), 0, 15_000);
        series.console.push(at - pty.started);
      } finally {
        pty.kill();
        await pty.exitPromise;
      }
    }
    const base = median(series.sshd);
    const ours = median(series.console);
    return [
      {
        figure: 'ssh console, connect to first dashboard frame (10 services)',
        ours: `${ours.toFixed(0)} ms`,
        baseline: `${base.toFixed(0)} ms OpenSSH sshd: ssh host true`,
        ratio: ours / base,
        budget: '≤ 1.5×',
        pass: ours / base <= 1.5,
        data: { runs, series },
      },
    ];
  } finally {
    sshd.kill('SIGTERM');
    await server?.stop();
  }
}
