// The console's fast start on the built binary (issue 8): the first start validates the config
// and keeps the result (owner-only, under XDG_CACHE_HOME); later starts of the same file skip YAML
// and zod. An edited file is validated again (a renamed service shows under its new name, a typo
// is reported with exit 2), and problems found after the first frame read the same either way.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from '../helpers/cli';
import { startTmux, type TmuxSession } from '../helpers/tmux';

let term: TmuxSession | undefined;
let dir: string;

afterEach(() => {
  term?.kill();
  term = undefined;
  rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
});

function writeConfig(second = 'svc-b', extra = ''): string {
  const path = join(dir, 'console.yaml');
  writeFileSync(
    path,
    // Port 9 on loopback: nothing answers; nothing leaves the machine.
    `hosts:\n  - { name: box, address: 127.0.0.1, port: 9 }\nservices:\n` +
      `  - { name: svc-a, host: box, unit: svc-a, health_url: "http://127.0.0.1:9/health" }\n` +
      `  - { name: ${second}, host: box, unit: ${second}, health_url: "http://127.0.0.1:9/health" }\n` +
      `paths:\n  state_dir: ${join(dir, 'state')}\n  known_hosts: ${join(dir, 'known_hosts')}\n${extra}`,
  );
  return path;
}

async function start(path: string): Promise<TmuxSession> {
  term?.kill();
  term = startTmux(`node ${BIN} --config ${path} --lang en`, { env: { XDG_CACHE_HOME: join(dir, 'cache') } });
  return term;
}

async function openAndQuit(path: string, shows: RegExp): Promise<void> {
  const t = await start(path);
  await t.waitFor(shows);
  t.send('q');
  await t.waitFor(/\[exit 0\]/);
}

describe('fast start with a validated config (built binary, tmux)', () => {
  it('keeps the validated config owner-only; an edited config is validated again', async () => {
    dir = mkdtempSync(join(tmpdir(), 'doai-fast-start-'));
    const path = writeConfig();
    await openAndQuit(path, /svc-b/);
    const cacheDir = join(dir, 'cache', 'doai-console', 'config');
    const files = readdirSync(cacheDir);
    expect(files).toHaveLength(1);
    expect(statSync(cacheDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(cacheDir, files[0]!)).mode & 0o777).toBe(0o600);

    // Same file: the fast start.
    await openAndQuit(path, /svc-b/);
    // A renamed service: the new name, never the cached one.
    writeConfig('svc-c');
    const renamed = await start(path);
    const screen = await renamed.waitFor(/svc-c/);
    expect(screen).not.toMatch(/svc-b/);
    renamed.send('q');
    await renamed.waitFor(/\[exit 0\]/);
    // A typo: reported as always, exit 2, no console.
    writeConfig('svc-c', 'servicez: []\n');
    const broken = await start(path);
    const out = await broken.waitFor(/\[exit \d+\]/);
    expect(out).toContain('[exit 2]');
    expect(out).toMatch(/invalid config/);
    expect(out).toMatch(/servicez/);
  }, 90_000);

  it('a runbook that does not load is reported alike on the first start and the fast one', async () => {
    dir = mkdtempSync(join(tmpdir(), 'doai-fast-start-'));
    const path = writeConfig('svc-b', 'runbooks:\n  - broken.yaml\n');
    writeFileSync(join(dir, 'broken.yaml'), 'id: broken\nsteps: [\n');
    const outs: string[] = [];
    for (let i = 0; i < 2; i++) {
      const t = await start(path);
      const out = await t.waitFor(/\[exit \d+\]/);
      outs.push(out.slice(out.indexOf('doai-console:')));
      expect(out).toContain('[exit 2]');
      expect(out).toMatch(/doai-console: .*broken\.yaml/s);
    }
    // The second start took the fast path (the config was kept) and said the same.
    expect(readdirSync(join(dir, 'cache', 'doai-console', 'config'))).toHaveLength(1);
    expect(outs[1]).toBe(outs[0]);
  }, 90_000);
});
