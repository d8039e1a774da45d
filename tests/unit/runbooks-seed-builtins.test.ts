// The seed 002/003 built-ins (issue 17) held to what every built-in promises: Korean and English
// titles, descriptions and parameter help; typed parameters; the reason for the approval level in
// a YAML comment, at least a code (L2) for what replaces live data or ends a process; a declared
// fit; and a dry run that lists every command with its host, in order, and runs nothing (R-RUN-5).
// Their real runs over OpenSSH are in tests/integration/runbooks-seed00{2,3}.test.ts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dryRun as dryRunOf, type DryRun } from '../helpers/dry-run';
import { configSchema, type Config } from '../../src/config/schema';
import { loadRunbooks } from '../../src/runbook/loader';
import type { Runbook } from '../../src/runbook/schema';

const actions = resolve(__dirname, '../../actions');

/** Issue 17's runbooks, the fitting target of each in the config below, and a pick for each listed choice. */
const SEED_RUNBOOKS: Record<string, { target: string; params?: Record<string, string> }> = {
  'chromadb-restore': { target: 'refserver', params: { backup: '/data/backups/chromadb/daily/chromadb_20250120_030000_full.tar.gz' } },
  'unified-restore': { target: 'refserver', params: { backup_id: 'unified_20250120_030000' } },
  'pdf-restore': { target: 'refserver' },
  'api-restart': { target: 'predictor' },
  'predictor-db-restore': { target: 'predictor', params: { backup: '/mnt/backup/routing_db_20250104.accdb' } },
  'predictor-read-only': { target: 'predictor' },
  'predictor-read-only-revert': { target: 'predictor', params: { kept: '/workspaces/Routing_ML_4/config/predictor_config.yaml.before-read-only.20250104_020000' } },
  'container-recreate': { target: 'predictor' },
  'port-kill': { target: 'predictor', params: { port: '8000', process: '4242 uvicorn /opt/venv/bin/python /opt/venv/bin/uvicorn backend.run_api:app --port 8000' } },
  'model-restore': { target: 'predictor', params: { version: 'v20250901' } },
  'model-retrain': { target: 'predictor' },
};
/** They replace live data, end a process, or spend hours of CPU on the serving box: never auto. */
const NEED_CODE = ['chromadb-restore', 'unified-restore', 'predictor-db-restore', 'port-kill', 'model-restore', 'model-retrain'];

let dir: string;
let runbooks: Map<string, Runbook>;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'doai-seed-builtins-'));
  runbooks = loadRunbooks({ builtinDir: actions });
});
afterAll(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));

function config(): Config {
  return configSchema.parse({
    hosts: [{ name: 'box', address: '127.0.0.1', user: 'ops' }],
    services: [
      { name: 'refserver', host: 'box', kind: ['sqlite', 'chromadb', 'compose', 'pdfs'], health_url: 'http://127.0.0.1:8060/health', app_dir: '/opt/refserver' },
      { name: 'predictor', host: 'box', kind: ['uvicorn', 'model', 'access-db', 'compose'], health_url: 'http://127.0.0.1:8000/api/health', app_dir: '/workspaces/Routing_ML_4' },
    ],
  });
}

function dryRun(id: string): Promise<DryRun> {
  const { target, params = {} } = SEED_RUNBOOKS[id]!;
  return dryRunOf(dir, { config: config(), runbooks }, id, target, params);
}

describe('the seed 002/003 built-ins (issue 17)', () => {
  it('are all there: every runbook in actions/ that is not seed 000/001 is in this list', () => {
    const older = ['l1-soft-reset', 'l2-service-reset', 'l3-box-reset', 'pm2-restart', 'postgres-restart', 'nginx-restart', 'postgres-restore', 'git-rollback', 'sqlite-restore', 'compose-restart'];
    expect([...runbooks.keys()].filter((id) => !older.includes(id)).sort()).toEqual(Object.keys(SEED_RUNBOOKS).sort());
  });

  it('speak Korean and English: titles, descriptions, step titles and parameter help', () => {
    for (const id of Object.keys(SEED_RUNBOOKS)) {
      const rb = runbooks.get(id)!;
      expect(rb, id).toBeDefined();
      expect(rb.audit_name, id).toMatch(/^[A-Z][A-Z0-9_]*$/);
      for (const [what, text] of [['title', rb.title], ['description', rb.description], ...rb.steps.map((s) => [`step ${s.id}`, s.title] as const)] as const) {
        expect(text?.ko.trim().length, `${id} ${what} ko`).toBeGreaterThan(0);
        expect(text?.en.trim().length, `${id} ${what} en`).toBeGreaterThan(0);
        expect(text?.ko, `${id} ${what}: ko is not a copy of en`).not.toBe(text?.en);
        expect(/[\uac00-\ud7a3]/.test(text!.ko), `${id} ${what}: ko has Hangul`).toBe(true);
      }
      for (const [name, p] of Object.entries(rb.params ?? {})) {
        expect(p.description?.ko.trim().length, `${id} param ${name} ko`).toBeGreaterThan(0);
        expect(p.description?.en.trim().length, `${id} param ${name} en`).toBeGreaterThan(0);
      }
    }
  });

  it('state the reason for their approval level; what replaces live data, ends a process or retrains needs a code', () => {
    for (const id of Object.keys(SEED_RUNBOOKS)) {
      const rb = runbooks.get(id)!;
      const text = readFileSync(join(actions, `${id}.yaml`), 'utf8');
      expect(text, id).toMatch(new RegExp(`^# Approval ${rb.approval} \\(${rb.level}\\): \\S`, 'm'));
    }
    for (const id of NEED_CODE) expect(['code', 'two-step'], id).toContain(runbooks.get(id)!.approval);
  });

  it('declare the kind of service they fit (port-kill: any service, since a port conflict stops any kind)', () => {
    for (const id of Object.keys(SEED_RUNBOOKS)) {
      const rb = runbooks.get(id)!;
      expect(rb.target, id).toBe('service');
      if (id === 'port-kill') expect(rb.fits, id).toBeUndefined();
      else expect(rb.fits?.length, `${id} declares fits`).toBeGreaterThan(0);
    }
  });
});

describe('dry run of each seed 002/003 built-in: every command with its host, in order, nothing run', () => {
  for (const id of Object.keys(SEED_RUNBOOKS)) {
    it(id, async () => {
      const rb = runbooks.get(id)!;
      const r = await dryRun(id);
      // One plan line per step, in the runbook's order: an ssh command on the service's host, a
      // poll, or the confirm prompt (lines saying a step is conditional come before their step).
      const planned = r.lines.filter((l) => !l.startsWith('[dry-run] only if '));
      expect(planned.length, planned.join('\n')).toBe(rb.steps.length);
      rb.steps.forEach((s, i) => {
        const expected = s.kind === 'ssh' ? /^\[dry-run\] ssh ops@box: \S/ : s.kind === 'poll' ? /^\[dry-run\] poll up to \d+ × every \d+ s: / : /^\[dry-run\] confirm: \S/;
        expect(planned[i], `${id}/${s.id}`).toMatch(expected);
      });
      expect(r.outcomes.every((o) => o.endsWith(':skipped')), r.outcomes.join(' ')).toBe(true);
      expect(r.audit).toHaveLength(1);
      expect(r.audit[0]).toMatch(new RegExp(` ${rb.audit_name}: DRY_RUN$`));
    });
  }

  /** Index of the first plan line containing text (fails when none does). */
  const at = (lines: string[], text: string): number => {
    const i = lines.findIndex((l) => l.includes(text));
    expect(i, `no plan line with ${text}:\n${lines.join('\n')}`).toBeGreaterThanOrEqual(0);
    return i;
  };

  it('the plans say what the issue asks before anything changes: archives read whole before the stop, rsync -n and diffs before the confirm, checksums around the copy', async () => {
    const chroma = (await dryRun('chromadb-restore')).lines;
    expect(at(chroma, 'tar -tzf ')).toBeLessThan(at(chroma, 'docker compose down'));
    expect(at(chroma, 'chown -R')).toBeGreaterThan(at(chroma, "k=\"$d.corrupted.$t\""));
    const unified = (await dryRun('unified-restore')).lines;
    expect(at(unified, 'PRAGMA integrity_check')).toBeLessThan(at(unified, 'docker compose down'));
    expect(at(unified, 'tar -tzf ')).toBeLessThan(at(unified, 'docker compose down'));
    const pdf = (await dryRun('pdf-restore')).lines;
    expect(at(pdf, 'rsync -avcn')).toBeLessThan(at(pdf, '[dry-run] confirm:'));
    expect(at(pdf, '[dry-run] confirm:')).toBeLessThan(at(pdf, '--backup-dir='));
    const ro = (await dryRun('predictor-read-only')).lines;
    expect(at(ro, 'diff -u')).toBeLessThan(at(ro, '[dry-run] confirm:'));
    expect(at(ro, '[dry-run] confirm:')).toBeLessThan(at(ro, '.before-read-only.'));
    const model = (await dryRun('model-restore')).lines;
    expect(at(model, "'v20250901' && md5sum -c")).toBeLessThan(at(model, 'cp -a --'));
    expect(model.slice(at(model, 'cp -a --')).some((l) => l.includes("mv -- \"$s\" \"$m/latest\"") && l.includes('md5sum -c'))).toBe(true);
    // api-restart restarts as the service runs (its kind), and its health check reads the JSON field.
    const api = (await dryRun('api-restart')).lines;
    expect(api[1]).toContain("mode='auto'; k='uvicorn,model,access-db,compose'; if [ \"$mode\" = auto ]; then case \",$k,\" in *,compose,*) mode=docker;;");
    expect(api.at(-1)).toContain('expect 200 and JSON status="ok"');
  });

  it('port-kill names the process it will end, with its command line, in the plan (a separate, approved runbook)', async () => {
    const lines = (await dryRun('port-kill')).lines;
    expect(lines[1]).toContain(`line='${SEED_RUNBOOKS['port-kill']!.params!.process}'`);
    expect(runbooks.get('port-kill')!.approval).toBe('code');
    // container-recreate ends nothing: it names the holder and points to port-kill.
    const recreate = (await dryRun('container-recreate')).lines.join('\n');
    expect(recreate).not.toMatch(/\bkill -|\bpkill\b/);
    expect(recreate).toContain('end it with the port-kill runbook (approved separately)');
  });
});
