// Config values with bounds and reasons (issue 11 item 10): every number bounded with why, the
// timeout shorter than the interval, no control characters in names or users, invalid UTF-8
// refused at its line and column, and an empty fleet said out loud — all with R-CFG-3's
// file:line:col messages, and through the built binary (`check` exits 2, never a RangeError).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load';
import { runCli } from '../helpers/cli';

const dir = mkdtempSync(join(tmpdir(), 'doai-config-bounds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));
const opts = { env: { XDG_STATE_HOME: join(dir, 'state') }, home: dir };

let n = 0;
function write(text: string | Buffer): string {
  const p = join(dir, `c${n++}.yaml`);
  writeFileSync(p, text);
  return p;
}

function problems(text: string | Buffer): { path: string; message: string } {
  const path = write(text);
  try {
    loadConfig(path, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return { path, message: (err as Error).message };
  }
  throw new Error('expected a ConfigError');
}

const fleet = `hosts:
  - name: vm
    address: 127.0.0.1
services:
  - { name: api, host: vm, health_url: "http://127.0.0.1:9/health" }
`;

describe('numbers are bounded, with the reason', () => {
  it.each([
    ['health:\n  timeout_s: 99999999999999999999999\n', 'health.timeout_s: expected a number <= 3600 (at most 3600 s (1 h): longer hides a hang), found 1e+23', '2:14'],
    ['health:\n  interval_s: 0.0001\n', 'health.interval_s: expected a number >= 1 (at least 1 s: a shorter interval floods the targets with probes), found 0.0001', '2:15'],
    ['host_checks:\n  metrics_interval_s: 0.5\n', 'host_checks.metrics_interval_s: expected a number >= 1 (at least 1 s', '2:23'],
    ['health:\n  failure_threshold: 1000000\n', 'health.failure_threshold: expected a number <= 100 (at most 100 failures in a row)', '2:22'],
    ['nodes:\n  offline_after_s: 1e12\n', 'nodes.offline_after_s: expected a number <= 604800', '2:20'],
    ['rto_min: 1e9\n', 'rto_min: expected a number <= 10080 (at most 10080 min (a week))', '1:10'],
  ])('%s', (text, message, at) => {
    const r = problems(fleet + text);
    const line = Number(at.split(':')[0]) + fleet.split('\n').length - 1;
    expect(r.message).toContain(`${r.path}:${line}:${at.split(':')[1]}: ${message}`);
  });

  it('a timeout as long as the interval is refused: probes would overlap', () => {
    const r = problems(`${fleet}health:\n  interval_s: 5\n  timeout_s: 5\nhost_checks:\n  interval_s: 10\n  timeout_s: 20\n`);
    expect(r.message).toContain(`${r.path}:8:14: health.timeout_s: expected a timeout shorter than health.interval_s (5 s) so probes never overlap, found 5`);
    expect(r.message).toContain(`${r.path}:11:14: host_checks.timeout_s: expected a timeout shorter than host_checks.interval_s (10 s) so probes never overlap, found 20`);
  });
});

describe('text', () => {
  it('a NUL or an escape in a user, an address or an approver is refused at its place', () => {
    const r = problems(`hosts:\n  - name: vm\n    address: "127.0.0.1\\e[2J"\n    user: "root\\0"\napprovers: ["kim\\u0007"]\n`);
    expect(r.message).toContain(`${r.path}:3:14: hosts[0].address: expected text without control characters (NUL, escape, newline…)`);
    expect(r.message).toContain(`${r.path}:4:11: hosts[0].user: expected text without control characters`);
    expect(r.message).toContain(`${r.path}:5:13: approvers[0]: expected text without control characters`);
  });

  it('invalid UTF-8 is refused at the line and column of the bad byte, with what to do', () => {
    const bytes = Buffer.concat([Buffer.from(`${fleet}approvers: ["J`), Buffer.from([0xe9]), Buffer.from('r\u00f4me"]\n')]);
    const r = problems(bytes);
    expect(r.message).toBe(`${r.path}:6:15: expected UTF-8 text, found the byte 0xe9, which is not valid UTF-8 — save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)`);
    // Valid multi-byte text (Korean names) is fine.
    expect(loadConfig(write(`${fleet}approvers: ["김민수"]\n`), opts).config.approvers).toEqual(['김민수']);
  });
});

describe('an empty fleet', () => {
  it('loads (all defaults) with a warning that says what to do', () => {
    const loaded = loadConfig(write(''), opts);
    expect(loaded.warnings).toEqual([`${loaded.path}: warning: the fleet is empty (no hosts, services or node sources) — nothing will be watched or recovered; add them, or run \`doai-console init\` for a commented starter config`]);
    expect(loadConfig(write(fleet), opts).warnings).toBeUndefined();
  });

  it('check says WARN on the config row; status prints the warning on stderr', async () => {
    const path = write('');
    const check = await runCli(['check', '--config', path]);
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/config\s+\S+\s+WARN\s+0 host\(s\), 0 service\(s\)/);
    expect(check.stdout).toContain('→ ' + `${path}: warning: the fleet is empty`);
    const status = await runCli(['status', '--config', path]);
    expect(status.stderr).toContain(`${path}: warning: the fleet is empty`);
  });

  it('check on a huge timeout exits 2 with the bound, never a RangeError', async () => {
    const path = write(`${fleet}health:\n  timeout_s: 99999999999999999999999\n`);
    const r = await runCli(['check', '--config', path]);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toContain('health.timeout_s: expected a number <= 3600');
    expect(r.stdout + r.stderr).not.toContain('RangeError');
  });
});
