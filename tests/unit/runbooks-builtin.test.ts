// Every built-in runbook validates, says why its approval level is what it is, and dry-runs:
// every command with its host, in order, parameters filled in and shell-quoted, nothing executed,
// one DRY_RUN audit line.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { dryRun as dryRunOf, dryRunEngine, type DryRun } from '../helpers/dry-run';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type Config } from '../../src/config/schema';
import { loadChecklists } from '../../src/checklist/loader';
import { loadRunbooks, parseRunbook } from '../../src/runbook/loader';
import type { Runbook } from '../../src/runbook/schema';

const actions = resolve(__dirname, '../../actions');
// Runbooks another engineer writes (l2/l3) are validated by their own tests; these are ours.
const OURS = ['pm2-restart', 'postgres-restart', 'nginx-restart', 'postgres-restore', 'sqlite-restore', 'compose-restart', 'git-rollback'];
const DESTRUCTIVE = ['postgres-restore', 'sqlite-restore', 'git-rollback'];

let dir: string;
let runbooks: Map<string, Runbook>;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'doai-builtin-'));
  runbooks = loadRunbooks({ builtinDir: actions });
});
afterAll(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));

function config(): Config {
  return configSchema.parse({
    hosts: [
      { name: 'api-1', address: '127.0.0.1', user: 'ubuntu', backup_dir: '/backup/o4o-platform' },
      { name: 'web-1', address: '127.0.0.2', user: 'ubuntu' },
    ],
    services: [
      { name: 'api-server', host: 'api-1', kind: ['pm2', 'git'], health_url: 'http://127.0.0.1:4000/api/health', app_dir: '/home/ubuntu/o4o-platform/apps/api-server' },
      { name: 'postgresql', host: 'api-1', kind: 'postgres', unit: 'postgresql', health_url: 'http://127.0.0.1:4000/api/health' },
      { name: 'nginx', host: 'web-1', kind: 'nginx', unit: 'nginx', health_url: 'http://127.0.0.2/' },
      { name: 'refserver', host: 'api-1', kind: ['sqlite', 'compose'], health_url: 'http://127.0.0.1:8060/health', app_dir: '/opt/refserver' },
      { name: 'predictor', host: 'api-1', kind: 'compose', health_url: 'http://127.0.0.1:8000/api/health', app_dir: '/workspaces/Routing_ML_4/deploy/docker' },
    ],
  });
}

const dryRun = (id: string, target: string, params: Record<string, string> = {}): Promise<DryRun> => dryRunOf(dir, { config: config(), runbooks }, id, target, params);

describe('built-in runbooks', () => {
  it('are all in actions/ and validate', () => {
    const files = readdirSync(actions).filter((f) => f.endsWith('.yaml'));
    for (const id of OURS) expect(files).toContain(`${id}.yaml`);
    for (const id of OURS) {
      const rb = runbooks.get(id)!;
      expect(rb, id).toBeDefined();
      expect(rb.title.ko.length).toBeGreaterThan(0);
      expect(rb.title.en.length).toBeGreaterThan(0);
      expect(rb.title.ko).not.toBe(rb.title.en);
      expect(rb.audit_name).toMatch(/^[A-Z][A-Z0-9_]*$/);
    }
  });

  it('destructive ones (restore, rollback) need at least code (L2) approval', () => {
    for (const id of DESTRUCTIVE) expect(['code', 'two-step'], id).toContain(runbooks.get(id)!.approval);
  });

  it('name a follow-up checklist that exists; seed 003\'s restores open its after-restore list (issue 12 item 15)', () => {
    const ids = new Set(loadChecklists({ builtinDir: join(actions, 'checklists') }).map((c) => c.id));
    for (const rb of runbooks.values()) if (rb.checklist) expect(ids, `${rb.id} names ${rb.checklist}`).toContain(rb.checklist);
    expect(['sqlite-restore', 'chromadb-restore', 'unified-restore', 'pdf-restore'].map((id) => runbooks.get(id)!.checklist)).toEqual(Array(4).fill('restore-after'));
    // Seed 000's list follows the L1–L3 resets (no checklist named: the post_recovery one).
    expect(['l1-soft-reset', 'l2-service-reset', 'l3-box-reset'].map((id) => runbooks.get(id)!.checklist)).toEqual([undefined, undefined, undefined]);
  });

  it('state the reason for their approval level in a YAML comment', () => {
    for (const id of OURS) {
      const text = readFileSync(join(actions, `${id}.yaml`), 'utf8');
      const rb = runbooks.get(id)!;
      expect(text, id).toMatch(new RegExp(`^# Approval ${rb.approval} \\(${rb.level}\\): \\S`, 'm'));
    }
  });

  it('every ssh step of every built-in renders with shell-quoted values only', () => {
    for (const id of OURS) {
      for (const step of runbooks.get(id)!.steps) {
        if (step.kind !== 'ssh') continue;
        // A template inside double quotes would be re-parsed by the shell: never allowed.
        expect(step.run, `${id}/${step.id}`).not.toMatch(/"[^"]*\{\{[^"]*"/);
      }
    }
  });
});

describe('dry run of every built-in lists every command with its host, in order, and runs nothing', () => {
  it('pm2-restart: restart, then the fallback steps marked as conditional', async () => {
    const r = await dryRun('pm2-restart', 'api-server');
    const app = "'/home/ubuntu/o4o-platform/apps/api-server'";
    expect(r.lines).toEqual([
      '[dry-run] ssh ubuntu@api-1: pm2 status',
      `[dry-run] ssh ubuntu@api-1: cd ${app} && pm2 restart 'api-server'`,
      // Whether the app answers after the restart decides the fallback, not pm2's exit code.
      '[dry-run] poll up to 3 × every 5 s: http GET http://127.0.0.1:4000/api/health → expect 200 (timeout 5 s)',
      '[dry-run] only if step "restart-check" fails:',
      `[dry-run] ssh ubuntu@api-1: cd ${app} && pm2 delete 'api-server'`,
      '[dry-run] only if step "restart-check" fails:',
      `[dry-run] ssh ubuntu@api-1: cd ${app} && 'pnpm' install`,
      '[dry-run] only if step "restart-check" fails:',
      `[dry-run] ssh ubuntu@api-1: cd ${app} && npm run build`,
      '[dry-run] only if step "restart-check" fails:',
      `[dry-run] ssh ubuntu@api-1: cd ${app} && pm2 start 'ecosystem.config.js'`,
      '[dry-run] poll up to 6 × every 5 s: http GET http://127.0.0.1:4000/api/health → expect 200 (timeout 5 s)',
    ]);
    expect(r.audit).toHaveLength(1);
    expect(r.audit[0]).toMatch(/^\[2026-01-04T\d\d:30:00[+-]\d\d:\d\d\] PM2_RESTART: DRY_RUN$/);
    expect(r.outcomes.every((o) => o.endsWith(':skipped'))).toBe(true);
  });

  it('postgres-restart', async () => {
    const r = await dryRun('postgres-restart', 'postgresql', { database: 'o4o_platform' });
    expect(r.lines).toEqual([
      "[dry-run] ssh ubuntu@api-1: systemctl status 'postgresql' --no-pager",
      "[dry-run] ssh ubuntu@api-1: if [ \"$(id -u)\" = 0 ]; then runuser -u 'postgres' -- '/usr/lib/postgresql/15/bin'/postgres -D '/etc/postgresql/15/main' -C data_directory; else '/usr/lib/postgresql/15/bin'/postgres -D '/etc/postgresql/15/main' -C data_directory; fi",
      "[dry-run] ssh ubuntu@api-1: systemctl restart 'postgresql'",
      "[dry-run] poll up to 6 × every 5 s: ssh ubuntu@api-1: psql -U 'postgres' -d 'o4o_platform' -v ON_ERROR_STOP=1 -c 'SELECT 1;' (timeout 15 s)",
    ]);
    expect(r.audit[0]).toMatch(/ PG_RESTART: DRY_RUN$/);
  });

  it('nginx-restart: the config test comes first, on the web host', async () => {
    const r = await dryRun('nginx-restart', 'nginx');
    expect(r.lines).toEqual([
      '[dry-run] ssh ubuntu@web-1: nginx -t',
      "[dry-run] ssh ubuntu@web-1: systemctl restart 'nginx'",
      "[dry-run] ssh ubuntu@web-1: systemctl status 'nginx' --no-pager",
      '[dry-run] poll up to 6 × every 5 s: http GET http://127.0.0.2/ → expect 200 (timeout 5 s)',
    ]);
    expect(r.audit[0]).toMatch(/ NGINX_RESTART: DRY_RUN$/);
  });

  it('compose-restart', async () => {
    const r = await dryRun('compose-restart', 'predictor', { compose_service: 'predictor' });
    const d = "'/workspaces/Routing_ML_4/deploy/docker'";
    expect(r.lines).toEqual([
      `[dry-run] ssh ubuntu@api-1: cd ${d} && docker compose version`,
      `[dry-run] ssh ubuntu@api-1: cd ${d} && docker compose ps`,
      `[dry-run] ssh ubuntu@api-1: cd ${d} && docker compose restart 'predictor'`,
      `[dry-run] ssh ubuntu@api-1: cd ${d} && docker compose ps 'predictor'`,
      '[dry-run] poll up to 12 × every 5 s: http GET http://127.0.0.1:8000/api/health → expect 200 (timeout 5 s)',
    ]);
  });

  it('postgres-restore with a chosen dump: whole-dump check, declared, create, load, compare, then (approved) swap, connect, kept copies', async () => {
    const dump = '/backup/o4o-platform/o4o_db_20260104.sql.gz';
    const r = await dryRun('postgres-restore', 'postgresql', { database: 'o4o_platform', backup: dump });
    const q = `'${dump}'`;
    expect(r.lines).toEqual([
      expect.stringMatching(new RegExp(`^\\[dry-run\\] ssh ubuntu@api-1: f=${q}; ls -l -- "\\$f" \\|\\| exit 1; case "\\$f" in .*grep -qx -- '-- PostgreSQL database dump complete'`)),
      expect.stringMatching(new RegExp(`^\\[dry-run\\] ssh ubuntu@api-1: f=${q}; d=\\$\\{TMPDIR:-/tmp\\}/doai-pg-declared\\.[^;]+; case .*awk `)),
      expect.stringMatching(/^\[dry-run\] ssh ubuntu@api-1: u='postgres'; r='o4o_platform'_restore; d=\$\{TMPDIR:-\/tmp\}\/doai-pg-declared\.[^;]+; s=\$\(printf .*createdb -U "\$u" "\$r" \|\| \{ rm -f -- "\$d"; exit 1; \}; echo "created \$r"$/),
      expect.stringMatching(/^\[dry-run\] ssh ubuntu@api-1: f=.*; u='postgres'; r='o4o_platform'_restore; d=[^;]+; if ! \{ case .* \| psql -X -U "\$u" -d "\$r" -v ON_ERROR_STOP=1 -q --single-transaction; \}; then .*dropdb -U "\$u" "\$r"/),
      expect.stringMatching(/^\[dry-run\] ssh ubuntu@api-1: u=.*SELECT count\(\*\) FROM pg_class .*echo "loaded = dump: tables \$lt\/\$dt, constraints \$lc\/\$dc, rows \$lr\/\$dr"$/),
      expect.stringMatching(
        /^\[dry-run\] ssh ubuntu@api-1: printf .*'ALTER DATABASE :"db" RENAME TO :"broken";' 'ALTER DATABASE :"restored" RENAME TO :"db";' 'COMMIT;' \| psql -X -U 'postgres' -d postgres -v ON_ERROR_STOP=1 -v db='o4o_platform' -v restored='o4o_platform'_restore -v broken='o4o_platform'_broken_'20260104_\d\d3000'$/,
      ),
      "[dry-run] ssh ubuntu@api-1: psql -X -U 'postgres' -d 'o4o_platform' -v ON_ERROR_STOP=1 -c 'SELECT 1;'",
      expect.stringMatching(/^\[dry-run\] ssh ubuntu@api-1: u=.*; l=\$\(printf .*_broken_\[0-9\]\{8\}_\[0-9\]\{6\}.*echo "kept copies/),
    ]);
    expect(r.audit[0]).toMatch(/ PG_RESTORE: DRY_RUN$/);
  });

  it('postgres-restore without a dump: says it would be picked from the host list, lists nothing', async () => {
    const r = await dryRun('postgres-restore', 'postgresql', { database: 'o4o_platform' });
    expect(r.lines[0]).toBe(
      "[dry-run] parameter backup: would be picked from the list `ls -1td -- '/backup/o4o-platform'/*.sql.gz '/backup/o4o-platform'/*.sql '/backup/o4o-platform'/*.dump 2>/dev/null; ls -d -- '/backup/o4o-platform' >/dev/null` prints on the host (not listed in a dry run)",
    );
    expect(r.lines[1]).toMatch(/^\[dry-run\] ssh ubuntu@api-1: f='<backup: picked from the host'\\''s list>'; ls -l -- "\$f" \|\| exit 1;/);
  });

  it('sqlite-restore: integrity first, then the restore steps only if it fails', async () => {
    const r = await dryRun('sqlite-restore', 'refserver', { backup: '/data/backups/sqlite/daily/refserver_2025-01-20_daily.db.gz' });
    const db = "'/data/refserver.db'";
    expect(r.lines).toEqual([
      `[dry-run] ssh ubuntu@api-1: out=$(sqlite3 -readonly ${db} 'PRAGMA integrity_check;' 2>&1); echo "$out"; test "$out" = ok`,
      '[dry-run] only if step "integrity" fails:',
      "[dry-run] ssh ubuntu@api-1: cd '/opt/refserver' && docker compose down",
      '[dry-run] only if step "integrity" fails:',
      expect.stringMatching(/^\[dry-run\] ssh ubuntu@api-1: if \[ -e '\/data\/refserver.db' \]; then cp -p -- '\/data\/refserver.db' '\/data\/refserver.db'.corrupted.'20260104_\d\d3000'; fi && for s in -wal -shm -journal; do/),
      '[dry-run] only if step "integrity" fails:',
      `[dry-run] ssh ubuntu@api-1: gunzip -c -- '/data/backups/sqlite/daily/refserver_2025-01-20_daily.db.gz' > ${db}.restoring && mv -f -- ${db}.restoring ${db} && chmod 644 -- ${db}`,
      '[dry-run] only if step "integrity" fails:',
      `[dry-run] ssh ubuntu@api-1: out=$(sqlite3 -readonly ${db} 'PRAGMA integrity_check;' 2>&1); echo "$out"; test "$out" = ok`,
      '[dry-run] only if step "integrity" fails:',
      "[dry-run] ssh ubuntu@api-1: cd '/opt/refserver' && docker compose up -d",
      '[dry-run] poll up to 12 × every 5 s: http GET http://127.0.0.1:8060/health → expect 200 (timeout 5 s)',
    ]);
    expect(r.audit[0]).toMatch(/ SQLITE_RESTORE: DRY_RUN$/);
  });

  it('git-rollback with a chosen commit', async () => {
    const r = await dryRun('git-rollback', 'api-server', { commit: 'a1b2c3d' });
    const app = "'/home/ubuntu/o4o-platform/apps/api-server'";
    expect(r.lines).toEqual([
      `[dry-run] ssh ubuntu@api-1: git -C ${app} log --oneline -10`,
      expect.stringContaining(`git -C ${app} diff --quiet HEAD || {`),
      `[dry-run] ssh ubuntu@api-1: git -C ${app} rev-parse HEAD`,
      `[dry-run] ssh ubuntu@api-1: git -C ${app} checkout --detach 'a1b2c3d'`,
      `[dry-run] ssh ubuntu@api-1: cd ${app} && cd "$(git rev-parse --show-toplevel)" && 'pnpm' install`,
      `[dry-run] ssh ubuntu@api-1: cd ${app} && cd "$(git rev-parse --show-toplevel)" && npm run --if-present build:packages`,
      `[dry-run] ssh ubuntu@api-1: cd ${app} && npm run build`,
      `[dry-run] ssh ubuntu@api-1: cd ${app} && pm2 restart 'api-server'`,
      '[dry-run] poll up to 12 × every 5 s: http GET http://127.0.0.1:4000/api/health → expect 200 (timeout 5 s)',
    ]);
    expect(r.audit[0]).toMatch(/ GIT_ROLLBACK: DRY_RUN$/);
  });

  it('a dry run still rejects an injection attempt in a parameter, and writes nothing', () => {
    const { engine: e, auditPath } = dryRunEngine(dir, { config: config(), runbooks });
    for (const bad of ['a1b2c3d; rm -rf /', '$(id)', '`id`', 'a1b2c3d\nrm -rf /', '--upload-pack=evil']) {
      const res = e.start('git-rollback', 'api-server', { dryRun: true, params: { commit: bad } });
      expect(res.ok).toBe(false);
      if (!res.ok) expect(res.error).toMatch(/^cannot start git-rollback on api-server: parameter "commit" (must be a git commit hash of 7 to 40 hex digits, got|\(commit\) rejects .* a newline)/);
    }
    expect(() => readFileSync(auditPath)).toThrow();
  });
});

describe('a runbook file with a bad param definition is refused at load with its line', () => {
  it('only_if_failed must name an earlier may_fail step', () => {
    const text = [
      'id: x',
      'level: L1',
      'audit_name: X',
      'title: { ko: 가, en: x }',
      'approval: auto',
      'target: service',
      'steps:',
      '  - { id: a, kind: ssh, run: "true" }',
      '  - { id: b, kind: ssh, run: "true", only_if_failed: a }',
      '  - { id: c, kind: ssh, run: "true", only_if_failed: z }',
      '',
    ].join('\n');
    const r = parseRunbook(text, 'x.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([
      expect.stringMatching(/^x\.yaml:9:\d+: steps\[1\]\.only_if_failed: expected a step with may_fail: true/),
      expect.stringMatching(/^x\.yaml:10:\d+: steps\[2\]\.only_if_failed: expected the id of an earlier step \(earlier: a, b\)/),
    ]);
  });
});
