// `doai-console check` (R-CFG-4): validates the config and the runbooks, then probes every host
// (DNS, TCP connect, SSH host key known, SSH login) and every service (health URL), and prints a
// table with a verdict and, for what failed, what to do. Exit 0 all good, 1 a probe failed,
// 2 the config or a runbook is invalid.
import { lookup } from 'node:dns/promises';
import { isIP, connect as netConnect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { sshHome } from '../config/paths';
import ssh2 from 'ssh2';
import { ConfigError, loadConfig, type LoadedConfig } from '../config/load';
import type { HostConfig } from '../config/schema';
import { probeHttp } from '../health/http-probe';
import { builtinActionsDir, loadRunbooks } from '../runbook/loader';
import { appendKnownHost, checkHostKey, fingerprint, hostKeyAlgorithms, keyTypeOfBlob, knownHostsList, knownKeyTypes, readKnownHosts } from '../ssh/known-hosts';
import { acceptNewCommand, acceptsUnknownKey, describeHostKeyRefusal } from '../ssh/host-trust';
import { backupSpecsFor, freshnessText, readFreshness } from '../health/backup-freshness';
import { createSshShell } from '../ssh/shell';
import type { PassphraseAsker } from '../ssh/identity';
import { applySshConfigToLoaded } from '../ssh/ssh-config';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './exit';
import { checkKeptCopies, checkNeeds } from './check-needs';
import type { Runbook } from '../runbook/schema';

export type CheckVerdict = 'OK' | 'FAIL' | 'ADDED' | 'SKIP' | 'NONE' | 'WARN';

export interface CheckRow {
  check: 'config' | 'runbooks' | 'dns' | 'tcp' | 'host-key' | 'ssh-auth' | 'health' | 'backups' | 'commands' | 'pg-kept';
  subject: string;
  verdict: CheckVerdict;
  detail: string;
  /** What to do about it (failures), in words. */
  hint?: string;
}

export interface CheckOptions {
  configPath: string;
  acceptNew?: boolean;
  json?: boolean;
  out?: NodeJS.WritableStream;
  /** Per probe; default 5000 (TCP, host key) and 10000 (login). */
  timeoutMs?: number;
  /** ssh for `ssh -G` (tests). */
  sshPath?: string;
  /** Asks for an encrypted identity file's passphrase (the terminal); absent: the login row says what to do. */
  passphrase?: PassphraseAsker;
}

const failing = (r: CheckRow) => r.verdict === 'FAIL';

export async function runCheck(opts: CheckOptions): Promise<number> {
  const out = opts.out ?? process.stdout;
  const rows: CheckRow[] = [];
  const finish = (code: number): number => {
    out.write(opts.json ? JSON.stringify({ ok: code === EXIT_OK, exitCode: code, rows }, null, 2) + '\n' : formatCheckTable(rows, code));
    return code;
  };

  let loaded: LoadedConfig;
  try {
    loaded = applySshConfigToLoaded(loadConfig(opts.configPath), { sshPath: opts.sshPath });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    rows.push({ check: 'config', subject: opts.configPath, verdict: 'FAIL', detail: err.message, hint: 'fix the lines named above, then run check again' });
    return finish(EXIT_USAGE);
  }
  // ~/.ssh is the passwd home's, as OpenSSH has it: say so when $HOME points elsewhere.
  const home = process.env.HOME ? resolve(process.env.HOME) : undefined;
  const sshDir = home && home !== resolve(sshHome()) ? `; ~/.ssh is ${join(sshHome(), '.ssh')} (the passwd home, as OpenSSH uses; $HOME is ${home})` : '';
  rows.push({ check: 'config', subject: loaded.path, verdict: loaded.warnings?.length ? 'WARN' : 'OK', detail: `${loaded.config.hosts.length} host(s), ${loaded.config.services.length} service(s)${sshDir}`, ...(loaded.warnings?.length ? { hint: loaded.warnings.join('\n') } : {}) });

  let runbooks: Map<string, Runbook>;
  try {
    runbooks = loadRunbooks({ builtinDir: builtinActionsDir(), extraPaths: loaded.config.runbooks, baseDir: dirname(loaded.path), userDir: join(dirname(loaded.path), 'runbooks') });
    rows.push({ check: 'runbooks', subject: `${runbooks.size} runbook(s)`, verdict: 'OK', detail: [...runbooks.keys()].sort().join(', ') });
  } catch (err) {
    const e = err as Error & { problems?: string[] };
    if (e.name !== 'RunbookLoadError') throw err;
    rows.push({ check: 'runbooks', subject: 'runbooks', verdict: 'FAIL', detail: (e.problems ?? [e.message]).join('\n'), hint: 'fix the runbook file(s) named above, then run check again' });
    return finish(EXIT_USAGE);
  }

  const timeoutMs = opts.timeoutMs ?? 5000;
  const hostRows = await Promise.all(loaded.config.hosts.map((h) => checkHost(h, loaded, { ...opts, timeoutMs, runbooks: [...runbooks.values()] })));
  for (const r of hostRows) rows.push(...r);
  const serviceRows = await Promise.all(
    loaded.config.services.map(async (s): Promise<CheckRow> => {
      if (!s.health_url) return { check: 'health', subject: s.name, verdict: 'NONE', detail: 'no health_url in the config (not probed)' };
      const res = await probeHttp(s.health_url, { timeoutMs: loaded.config.health.timeout_s * 1000, expectStatus: s.expected_status });
      if (res.ok) return { check: 'health', subject: s.name, verdict: 'OK', detail: `${s.health_url}: HTTP ${res.status} in ${res.latencyMs} ms` };
      return {
        check: 'health',
        subject: s.name,
        verdict: 'FAIL',
        detail: `${s.health_url}: ${res.error ?? `HTTP ${res.status}`}${res.status !== undefined && res.status !== s.expected_status ? ` (expected ${s.expected_status})` : ''}`,
        hint: 'check the service is running and health_url is right; the dashboard recommends a runbook',
      };
    }),
  );
  rows.push(...serviceRows);
  return finish(rows.some(failing) ? EXIT_FAILED : EXIT_OK);
}

async function checkHost(host: HostConfig, loaded: LoadedConfig, opts: CheckOptions & { timeoutMs: number; runbooks: Runbook[] }): Promise<CheckRow[]> {
  const rows: CheckRow[] = [];
  const where = `${host.address}:${host.port}`;
  const knownHosts = knownHostsList(host.known_hosts ?? loaded.paths.knownHosts);
  let keyTrusted = true;

  if (host.jump) {
    // Reached through its jump host: DNS and TCP from here say nothing about that path.
    rows.push({ check: 'dns', subject: host.name, verdict: 'SKIP', detail: `reached through jump host ${host.jump}` });
    rows.push({ check: 'tcp', subject: host.name, verdict: 'SKIP', detail: `reached through jump host ${host.jump}` });
  } else {
    const dns = await resolveAddress(host.address);
    if (!dns.ok) {
      rows.push({ check: 'dns', subject: host.name, verdict: 'FAIL', detail: `${host.address}: ${dns.error}`, hint: 'check address in the config (or HostName in ~/.ssh/config) and your DNS/VPN' });
      return [...rows, ...skipped(host, 'DNS failed')];
    }
    rows.push({ check: 'dns', subject: host.name, verdict: 'OK', detail: isIP(host.address) ? `${host.address} (an IP address)` : `${host.address} → ${dns.address}` });
    const tcp = await tcpConnect(dns.address, host.port, opts.timeoutMs);
    if (!tcp.ok) {
      rows.push({ check: 'tcp', subject: host.name, verdict: 'FAIL', detail: `${where}: ${tcp.error}`, hint: tcp.hint });
      return [...rows, ...skipped(host, 'TCP connect failed')];
    }
    rows.push({ check: 'tcp', subject: host.name, verdict: 'OK', detail: `${where} accepts connections (${tcp.ms} ms)` });

    const key = await fetchHostKey(host, dns.address, knownHosts, opts.timeoutMs);
    if (!key.ok) {
      rows.push({ check: 'host-key', subject: host.name, verdict: 'FAIL', detail: `${where}: ${key.error}`, hint: 'check that sshd listens on this port' });
      return [...rows, { check: 'ssh-auth', subject: host.name, verdict: 'SKIP', detail: 'no host key' }];
    }
    const keyRow = judgeHostKey(host, knownHosts, key.keyType, key.blob, { ...opts, configPath: loaded.path });
    rows.push(keyRow);
    keyTrusted = keyRow.verdict === 'OK' || keyRow.verdict === 'ADDED';
  }
  if (!keyTrusted) return [...rows, { check: 'ssh-auth', subject: host.name, verdict: 'SKIP', detail: 'host key not trusted: no login attempted' }];

  // Login: the console's own SSH client, through jump hosts as configured.
  const added: string[] = [];
  const shell = createSshShell({
    hosts: loaded.config.hosts,
    knownHostsPath: loaded.paths.knownHosts,
    configPath: loaded.path,
    ...(opts.passphrase ? { passphrase: opts.passphrase } : {}),
    acceptNew: opts.acceptNew === true && host.jump !== undefined,
    connectTimeoutMs: Math.max(opts.timeoutMs, 10_000),
    onHostKeyAdded: (info) => added.push(`${info.host}: ${info.fingerprint} written to ${info.path}`),
  });
  try {
    const res = await shell.probe(host.name, Math.max(opts.timeoutMs, 10_000) + 2000);
    if (host.jump) {
      if (res.ok || (res.kind !== 'hostkey-unknown' && res.kind !== 'hostkey-changed')) {
        rows.push({ check: 'host-key', subject: host.name, verdict: added.length ? 'ADDED' : res.ok ? 'OK' : 'SKIP', detail: added.length ? added.join('; ') : res.ok ? `known in ${knownHosts.join(' ')}` : 'not reached' });
      } else {
        // The refusal's own words carry the advice (its trust.fix) at their end.
        rows.push({ check: 'host-key', subject: host.name, verdict: 'FAIL', detail: res.trust ? res.error.slice(0, -res.trust.fix.length).trim() : res.error, hint: res.trust?.fix ?? 'fix the host key, then run check again' });
        rows.push({ check: 'ssh-auth', subject: host.name, verdict: 'SKIP', detail: 'host key not trusted: no login attempted' });
        return rows;
      }
    }
    if (res.ok) rows.push({ check: 'ssh-auth', subject: host.name, verdict: 'OK', detail: `logged in as ${host.user}${host.jump ? ` via ${host.jump}` : ''}${host.identity_file ? ` with ${host.identity_file}` : ' with ssh-agent'}` });
    else rows.push({ check: 'ssh-auth', subject: host.name, verdict: 'FAIL', detail: res.error, hint: authHint(res.kind) });
    if (res.ok) {
      // What the fitting runbooks need on this host, and the databases postgres-restore kept.
      const t = Math.max(opts.timeoutMs, 10_000);
      rows.push(...(await checkNeeds(shell, host.name, opts.runbooks, loaded.config, t)));
      rows.push(...(await checkKeptCopies(shell, host.name, loaded.config, t)));
    }
    const specs = backupSpecsFor(loaded.config, host.name);
    if (res.ok && specs.length) {
      for (const f of await readFreshness(shell, host.name, specs, Math.max(opts.timeoutMs, 10_000))) {
        rows.push({
          check: 'backups',
          subject: f.service,
          verdict: f.verdict === 'ok' ? 'OK' : 'FAIL',
          detail: freshnessText(f).en,
          ...(f.verdict === 'ok' ? {} : { hint: `the newest backup must be at most rpo_h (${f.rpoH} h) old: check the backup job on ${host.name}, or the folder and pattern under services.${f.service}.backups` }),
        });
      }
    }
  } finally {
    shell.close();
  }
  return rows;
}

function skipped(host: HostConfig, why: string): CheckRow[] {
  return [
    { check: 'host-key', subject: host.name, verdict: 'SKIP', detail: why },
    { check: 'ssh-auth', subject: host.name, verdict: 'SKIP', detail: why },
  ];
}

function authHint(kind: string): string {
  switch (kind) {
    case 'auth':
      return "check user and identity_file (or the keys in ssh-agent) and the host's authorized_keys";
    case 'timeout':
      return 'the host accepted TCP but did not finish the SSH login in time; check sshd and the network';
    case 'config':
      return 'fix the host entry in the config';
    default:
      return 'see the message; try ssh -v to the host by hand';
  }
}

function judgeHostKey(host: HostConfig, files: string[], keyType: string, blob: Buffer, opts: CheckOptions & { configPath: string }): CheckRow {
  const fp = `${keyType} ${fingerprint(blob)}`;
  const path = files[0]!;
  let check;
  try {
    check = checkHostKey(files, host.address, host.port, keyType, blob);
  } catch (err) {
    return { check: 'host-key', subject: host.name, verdict: 'FAIL', detail: `cannot read ${files.join(' ')}: ${(err as Error).message}`, hint: 'fix the file permissions' };
  }
  if (check.status === 'match') return { check: 'host-key', subject: host.name, verdict: 'OK', detail: `${fp} known (${check.path ?? path}:${check.line})` };
  if (check.status === 'unknown' && acceptsUnknownKey(host.strict_host_key_checking, opts.acceptNew === true)) {
    try {
      appendKnownHost(path, host.address, host.port, keyType, blob);
    } catch (err) {
      return { check: 'host-key', subject: host.name, verdict: 'FAIL', detail: `cannot write ${path}: ${(err as Error).message}`, hint: 'fix the file permissions' };
    }
    const why = opts.acceptNew && host.strict_host_key_checking !== 'accept-new' && host.strict_host_key_checking !== 'no' ? '--accept-new' : `StrictHostKeyChecking ${host.strict_host_key_checking}`;
    return { check: 'host-key', subject: host.name, verdict: 'ADDED', detail: `${fp} written to ${path} (${why})` };
  }
  const refusal = describeHostKeyRefusal(
    { host: host.name, address: host.address, port: host.port, knownHosts: path, keyType, fingerprint: fingerprint(blob), acceptCommand: acceptNewCommand(opts.configPath), strict: host.strict_host_key_checking },
    check,
  )!;
  return { check: 'host-key', subject: host.name, verdict: 'FAIL', detail: refusal.what, hint: refusal.trust.fix };
}

async function resolveAddress(address: string): Promise<{ ok: true; address: string } | { ok: false; error: string }> {
  if (isIP(address)) return { ok: true, address };
  try {
    const r = await lookup(address);
    return { ok: true, address: r.address };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, error: code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'DNS: not found' : `DNS: ${(err as Error).message}` };
  }
}

function tcpConnect(address: string, port: number, timeoutMs: number): Promise<{ ok: true; ms: number } | { ok: false; error: string; hint: string }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const sock = netConnect({ host: address, port });
    const done = (r: { ok: true; ms: number } | { ok: false; error: string; hint: string }) => {
      sock.destroy();
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(() => done({ ok: false, error: `timeout after ${timeoutMs} ms`, hint: 'the host is down or a firewall drops the port; check the host and the network/VPN' }), timeoutMs);
    sock.once('connect', () => done({ ok: true, ms: Date.now() - started }));
    sock.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') done({ ok: false, error: 'connection refused', hint: 'nothing listens there: is sshd running, and is port right in the config?' });
      else if (err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH') done({ ok: false, error: 'no route to host', hint: 'check the network or VPN' });
      else done({ ok: false, error: err.message, hint: 'check the address and port' });
    });
  });
}


/** Reads the host key the server offers, without logging in (the verifier refuses, ending the handshake). */
function fetchHostKey(host: HostConfig, address: string, knownHosts: string[], timeoutMs: number): Promise<{ ok: true; keyType: string; blob: Buffer } | { ok: false; error: string }> {
  let knownTypes: string[] = [];
  try {
    knownTypes = knownKeyTypes(readKnownHosts(knownHosts), host.address, host.port);
  } catch {
    // unreadable known_hosts: judged (and reported) later
  }
  const algos = hostKeyAlgorithms(knownTypes);
  return new Promise((resolve) => {
    const client = new ssh2.Client();
    let settled = false;
    const done = (r: { ok: true; keyType: string; blob: Buffer } | { ok: false; error: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.end();
      client.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done({ ok: false, error: `no SSH handshake within ${timeoutMs} ms` }), timeoutMs);
    client.on('error', (err) => done({ ok: false, error: `SSH handshake failed: ${err.message}` }));
    client.on('close', () => done({ ok: false, error: 'the server closed the connection before offering a host key' }));
    try {
      client.connect({
        host: address,
        port: host.port,
        username: host.user,
        readyTimeout: timeoutMs,
        algorithms: { serverHostKey: algos as NonNullable<ssh2.ConnectConfig['algorithms']>['serverHostKey'] },
        hostVerifier: (key: Buffer) => {
          done({ ok: true, keyType: keyTypeOfBlob(key) ?? 'unknown', blob: key });
          return false;
        },
      });
    } catch (err) {
      done({ ok: false, error: (err as Error).message });
    }
  });
}

/** The table: one row per check, a verdict, the detail, and under a failure what to do. */
export function formatCheckTable(rows: CheckRow[], exitCode: number): string {
  const w = (k: keyof CheckRow) => Math.max(...rows.map((r) => String(r[k]).length), k.length);
  const wc = w('check');
  const ws = Math.min(w('subject'), 40);
  const wv = w('verdict');
  const lines = [`${'CHECK'.padEnd(wc)}  ${'SUBJECT'.padEnd(ws)}  ${'VERDICT'.padEnd(wv)}  DETAIL`];
  for (const r of rows) {
    const [first, ...more] = r.detail.split('\n');
    lines.push(`${r.check.padEnd(wc)}  ${r.subject.padEnd(ws)}  ${r.verdict.padEnd(wv)}  ${first}`);
    for (const m of more) lines.push(`${''.padEnd(wc + ws + wv + 6)}${m}`);
    if (r.hint && (r.verdict === 'FAIL' || r.verdict === 'WARN')) lines.push(`${''.padEnd(wc + ws + wv + 6)}→ ${r.hint}`);
  }
  const failed = rows.filter(failing).length;
  lines.push('');
  lines.push(
    exitCode === EXIT_OK
      ? `all ${rows.length} checks passed`
      : exitCode === EXIT_USAGE
        ? 'the configuration is invalid: nothing was probed (exit 2)'
        : `${failed} of ${rows.length} checks failed (exit 1)`,
  );
  return lines.join('\n') + '\n';
}
