// The built console in a real terminal (tmux) with a host behind OpenSSH's sshd whose identity file
// is passphrase-protected (issue 12 item 17): the console asks in a masked prompt, in OpenSSH's
// words, a wrong passphrase is asked again, the right one logs in (the host becomes reachable),
// and the passphrase is never on screen.
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { BIN } from '../helpers/cli';
import { requireSshd, startSshd, type RunningSshd } from '../helpers/sshd';
import { startTmux, type TmuxSession } from '../helpers/tmux';

requireSshd();

const PASS = 'correct horse 42';
let dir: string;
let sshd: RunningSshd;
let term: TmuxSession | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'doai-pass-console-'));
  sshd = await startSshd();
  const key = join(dir, 'id_enc');
  execFileSync('/usr/bin/ssh-keygen', ['-q', '-t', 'ed25519', '-N', PASS, '-C', 'doai-enc', '-f', key]);
  appendFileSync(join(sshd.dir, 'authorized_keys'), readFileSync(`${key}.pub`));
  writeFileSync(join(dir, 'known_hosts'), `${sshd.knownHostsLine}\n`);
  writeFileSync(
    join(dir, 'console.yaml'),
    stringify({
      hosts: [{ name: 'box', address: '127.0.0.1', port: sshd.port, user: userInfo().username, identity_file: key, agent: false }],
      services: [{ name: 'web', host: 'box', health_url: 'http://127.0.0.1:9/health' }],
      paths: { state_dir: join(dir, 'state'), known_hosts: join(dir, 'known_hosts') },
    }),
  );
}, 60_000);

afterAll(async () => {
  term?.kill();
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
});

describe('interactive console: passphrase-protected identity file', () => {
  it('asks in a masked prompt, asks again after a wrong one, logs in with the right one', async () => {
    term = startTmux(`node ${BIN} --config ${join(dir, 'console.yaml')} --lang en`, { cols: 110, rows: 30, env: { DOAI_OPERATOR: 'orion', SSH_AUTH_SOCK: '' } });
    let screen = await term.waitFor(`Enter passphrase for key '${join(dir, 'id_enc')}':`, 30_000);
    expect(screen).toContain('logging in to box');
    term.type('wrong one');
    screen = await term.waitFor('•••••••••');
    expect(screen).not.toContain('wrong one');
    term.send('Enter');
    screen = await term.waitFor('Bad passphrase, try again.', 30_000);
    term.type(PASS);
    term.send('Enter');
    screen = await term.waitFor(/1\/1 reachable/, 30_000);
    expect(screen).not.toContain('Enter passphrase');
    expect(screen).not.toContain(PASS);
    term.send('q');
    await term.waitFor(/\[exit 0\]|Quit/, 10_000);
  }, 90_000);
});
