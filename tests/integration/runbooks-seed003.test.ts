// Seed 003 (RefServer) restores run for real over OpenSSH's sshd against real files: real tar.gz
// archives of a ChromaDB directory, real SQLite files, rsync; docker is a recording stand-in.
// Each test checks the files left behind, the docker calls and the audit lines, and for each
// failure that the previous state is still there and the message says where.
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { requireSshd } from '../helpers/sshd';
import { requireTools } from '../helpers/requirements';
import { sh, startSeedHost, type SeedHost } from '../helpers/seed-host';

requireSshd();
requireTools(['/usr/bin/sqlite3', '/usr/bin/rsync', '/usr/bin/tar', '/usr/bin/gzip'], 'apt-get install -y sqlite3 rsync tar gzip');

// Real SSH sessions and archives on a shared 2-core machine: generous bounds, never fixed sleeps.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 60_000 });

let host: SeedHost;

beforeAll(async () => {
  host = await startSeedHost({ services: { refserver: { health: '/health', kind: ['sqlite', 'chromadb', 'compose', 'pdfs'] } } });
  mkdirSync(join(host.dir, 'refserver'));
});

afterAll(async () => {
  await host?.close();
});

beforeEach(() => {
  host.resetCalls();
  host.answer('/health', { status: 200, body: 'ok' });
});

/** A ChromaDB-like directory: its SQLite catalogue and a segment folder of binary files. */
function makeChroma(path: string, marker: string): void {
  mkdirSync(join(path, '6f1c-segment'), { recursive: true });
  sh(`sqlite3 '${path}/chroma.sqlite3' "CREATE TABLE embeddings(id TEXT); INSERT INTO embeddings VALUES ('${marker}');"`);
  writeFileSync(join(path, '6f1c-segment', 'data_level0.bin'), Buffer.alloc(64 * 1024, marker));
  writeFileSync(join(path, '6f1c-segment', 'header.bin'), marker);
}

function setTime(path: string, iso: string): void {
  utimesSync(path, new Date(iso), new Date(iso));
}

describe('chromadb-restore (seed 003 "ChromaDB 복구") with a point-in-time choice', () => {
  let data: string;
  let backups: string;
  let live: string;

  beforeEach(() => {
    data = join(host.dir, `data-${Date.now()}`);
    backups = join(data, 'backups', 'chromadb', 'daily');
    live = join(data, 'chromadb');
    mkdirSync(backups, { recursive: true });
    // Three daily archives made the way the seed's backups are: tar -czf ... -C /data chromadb.
    for (const day of ['18', '19', '20']) {
      const src = join(data, `src-${day}`, 'chromadb');
      makeChroma(src, `day-${day}`);
      const archive = join(backups, `chromadb_202501${day}_030000_full.tar.gz`);
      sh(`tar -czf '${archive}' -C '${join(data, `src-${day}`)}' chromadb`);
      setTime(archive, `2025-01-${day}T03:00:00Z`);
    }
    // The live index, damaged: its segment file is garbage.
    makeChroma(live, 'live');
    writeFileSync(join(live, '6f1c-segment', 'header.bin'), 'garbage');
  });

  it('lists backups newest first with time and size; as_of picks the newest older than it', async () => {
    const e = host.engine();
    const all = await e.listChoices('chromadb-restore', 'refserver', 'backup', { backup_dir: backups });
    if (!all.ok) throw new Error(all.error);
    expect(all.choices.map((c) => c.value)).toEqual(['20', '19', '18'].map((d) => join(backups, `chromadb_202501${d}_030000_full.tar.gz`)));
    expect(all.choices[0].label, all.choices[0].label).toMatch(/chromadb_20250120_030000_full\.tar\.gz 2025-01-20 03:00 \d+(\.\d)?[KM]?B$/);
    const asOf = await e.listChoices('chromadb-restore', 'refserver', 'backup', { backup_dir: backups, as_of: '2025-01-19 14:00' });
    if (!asOf.ok) throw new Error(asOf.error);
    expect(asOf.choices.map((c) => c.value)).toEqual(['19', '18'].map((d) => join(backups, `chromadb_202501${d}_030000_full.tar.gz`)));
    // Not a time: refused before anything is listed.
    const bad = await e.listChoices('chromadb-restore', 'refserver', 'backup', { backup_dir: backups, as_of: 'yesterday; rm -rf /' });
    expect(bad).toMatchObject({ ok: false, error: expect.stringContaining('parameter "as_of" must match') });
  });

  it('restores the chosen archive: checked, extracted, stopped, old kept as .corrupted.<stamp>, swapped, chowned, started, healthy', async () => {
    const e = host.engine();
    await e.listChoices('chromadb-restore', 'refserver', 'backup', { backup_dir: backups, as_of: '2025-01-19 14:00' });
    const r = await host.run(e, 'chromadb-restore', 'refserver', { chroma_dir: live, backup_dir: backups, as_of: '2025-01-19 14:00', owner: '1000:1000' });
    expect(r.outcome, JSON.stringify(r.steps) + r.detail('owner')).toBe('success');
    expect(r.steps).toEqual(['check-archive:ok', 'extract:ok', 'stop:ok', 'swap:ok', 'owner:ok', 'start:ok', 'verify:ok']);
    expect(r.output('check-archive')).toMatch(/archive whole: \d+ entries under chromadb\//);
    // The 19th's data is live, owned by 1000:1000; the damaged one is kept beside it, untouched.
    expect(sh(`sqlite3 '${live}/chroma.sqlite3' 'SELECT id FROM embeddings'`).trim()).toBe('day-19');
    expect(readFileSync(join(live, '6f1c-segment', 'header.bin'), 'utf8')).toBe('day-19');
    expect([statSync(join(live, '6f1c-segment', 'data_level0.bin')).uid, statSync(live).gid]).toEqual([1000, 1000]);
    const kept = readdirSync(data).filter((f) => /^chromadb\.corrupted\.\d{8}_\d{6}$/.test(f));
    expect(kept).toHaveLength(1);
    expect(readFileSync(join(data, kept[0], '6f1c-segment', 'header.bin'), 'utf8')).toBe('garbage');
    expect(readdirSync(data).filter((f) => f.includes('.restoring.'))).toEqual([]);
    expect(r.message).toContain(join(data, kept[0]));
    const compose = join(host.dir, 'refserver');
    expect(host.calls()).toEqual([`docker|${compose}|compose down`, `docker|${compose}|compose ps -q`, `docker|${compose}|compose up -d`, `docker|${compose}|compose ps -q --status running`]);
    expect(host.audit('CHROMADB_RESTORE')).toEqual(['START', 'STEP1_APPROVED by vega', 'SERVICES_STOPPED', 'CHROMADB_SWAPPED', 'SERVICES_RESTARTED', 'SUCCESS']);
  });

  it('a truncated archive fails the check: nothing stopped, moved or extracted', async () => {
    const newest = join(backups, 'chromadb_20250120_030000_full.tar.gz');
    const bytes = readFileSync(newest);
    writeFileSync(newest, bytes.subarray(0, Math.floor(bytes.length / 2)));
    setTime(newest, '2025-01-20T03:00:00Z');
    const e = host.engine();
    await e.listChoices('chromadb-restore', 'refserver', 'backup', { backup_dir: backups });
    const r = await host.run(e, 'chromadb-restore', 'refserver', { chroma_dir: live, backup_dir: backups });
    expect(r.outcome).toBe('failed');
    expect(r.steps[0]).toBe('check-archive:failed');
    expect(r.output('check-archive')).toContain('the archive is damaged or unreadable: nothing was changed');
    // The message states only what ran: no kept directory is named when none was moved (issue 12 item 5).
    expect(r.message).toBe('❌ ChromaDB restore failed (step "check-archive" (Read the whole archive (tar -tzf)) failed: exit code 1)');
    expect(host.calls()).toEqual([]);
    expect(readFileSync(join(live, '6f1c-segment', 'header.bin'), 'utf8')).toBe('garbage');
    expect(readdirSync(data).filter((f) => f.startsWith('chromadb.'))).toEqual([]);
  });

  it('unhealthy after the swap: the run fails, the old directory is kept and the message says how to put it back', async () => {
    host.answer('/health', { status: 503, body: 'chroma: index not loaded' });
    const e = host.engine();
    await e.listChoices('chromadb-restore', 'refserver', 'backup', { backup_dir: backups });
    const r = await host.run(e, 'chromadb-restore', 'refserver', { chroma_dir: live, backup_dir: backups });
    expect(r.outcome).toBe('failed');
    expect(r.steps.at(-1), JSON.stringify(r.steps) + ['extract', 'swap', 'owner', 'start'].map((s) => r.detail(s) + r.output(s)).join('|')).toBe('verify:failed');
    const kept = readdirSync(data).find((f) => /^chromadb\.corrupted\.\d{8}_\d{6}$/.test(f))!;
    const stamp = kept.slice('chromadb.corrupted.'.length);
    expect(r.message).toContain(`mv '${live}' '${live}'.failed.${stamp} && mv '${live}'.corrupted.${stamp} '${live}' && docker compose up -d\``);
    // Following the message's command as printed (docker is not installed here: its two calls
    // are cut off) puts the old directory back.
    const printed = /`([^`]+)`/.exec(r.message!)![1]!;
    sh(printed.replace(/^cd .*? && docker compose down && /, '').replace(/ && docker compose up -d$/, ''));
    expect(readFileSync(join(live, '6f1c-segment', 'header.bin'), 'utf8')).toBe('garbage');
    expect(existsSync(join(`${live}.failed.${stamp}`, 'chroma.sqlite3'))).toBe(true);
  });
});

describe('unified-restore (seed 003 "3. 통합 복구"): both from one set, or neither', () => {
  let data: string;
  let sets: string;
  let db: string;
  let chroma: string;

  function makeSet(id: string, marker: string, iso: string): string {
    const set = join(sets, id);
    mkdirSync(set, { recursive: true });
    const work = join(data, `work-${id}`);
    makeChroma(join(work, 'chromadb'), marker);
    sh(`tar -czf '${set}/chromadb.tar.gz' -C '${work}' chromadb`);
    sh(`sqlite3 '${work}/refserver.db' "CREATE TABLE docs(id TEXT); INSERT INTO docs VALUES ('${marker}');" && gzip -c '${work}/refserver.db' > '${set}/refserver.db.gz'`);
    setTime(set, iso);
    return set;
  }

  /** unified-restore of `set` (dated 2025-01-20 03:00), listed first as the console does: it fails at its first step, staging. */
  async function restoreFailingAtStage(set: string): Promise<Awaited<ReturnType<SeedHost['run']>>> {
    setTime(set, '2025-01-20T03:00:00Z');
    const e = host.engine();
    await e.listChoices('unified-restore', 'refserver', 'backup_id', { sets_dir: sets });
    const r = await host.run(e, 'unified-restore', 'refserver', { db_path: db, chroma_dir: chroma, sets_dir: sets });
    expect(r.outcome).toBe('failed');
    expect(r.steps[0]).toBe('stage:failed');
    return r;
  }

  /** Nothing was stopped or restarted, the live database is as it was, nothing half-swapped beside it. */
  function expectNeitherRestored(): void {
    expect(host.calls()).toEqual([]);
    expect(sh(`sqlite3 '${db}' 'SELECT id FROM docs'`).trim()).toBe('live');
    expect(readdirSync(data).filter((f) => f.includes('.corrupted.') || f.includes('.restoring.'))).toEqual([]);
  }

  beforeEach(() => {
    data = join(host.dir, `unified-${Date.now()}`);
    sets = join(data, 'backups', 'unified');
    db = join(data, 'refserver.db');
    chroma = join(data, 'chromadb');
    makeSet('unified_20250119_030000', 'set-19', '2025-01-19T03:00:00Z');
    makeSet('unified_20250120_030000', 'set-20', '2025-01-20T03:00:00Z');
    // A set missing its ChromaDB archive is never offered.
    mkdirSync(join(sets, 'unified_20250121_030000'));
    writeFileSync(join(sets, 'unified_20250121_030000', 'refserver.db.gz'), '');
    sh(`sqlite3 '${db}' "CREATE TABLE docs(id TEXT); INSERT INTO docs VALUES ('live');"`);
    makeChroma(chroma, 'live');
  });

  it('lists whole sets only; restores both, keeps both, verifies both', async () => {
    const e = host.engine();
    const listed = await e.listChoices('unified-restore', 'refserver', 'backup_id', { sets_dir: sets });
    if (!listed.ok) throw new Error(listed.error);
    expect(listed.choices.map((c) => c.value)).toEqual(['unified_20250120_030000', 'unified_20250119_030000']);
    expect(listed.choices[0].label).toMatch(/^unified_20250120_030000 2025-01-20 03:00 \d+(\.\d)?K$/);
    const r = await host.run(e, 'unified-restore', 'refserver', { db_path: db, chroma_dir: chroma, sets_dir: sets });
    expect(r.outcome, JSON.stringify(r.steps) + r.output('swap') + r.output('verify-both')).toBe('success');
    expect(r.steps).toEqual(['stage:ok', 'stop:ok', 'swap:ok', 'verify-both:ok', 'start:ok', 'verify:ok']);
    expect(sh(`sqlite3 '${db}' 'SELECT id FROM docs'`).trim()).toBe('set-20');
    expect(readFileSync(join(chroma, '6f1c-segment', 'header.bin'), 'utf8')).toBe('set-20');
    const kept = readdirSync(data).filter((f) => f.includes('.corrupted.')).sort();
    expect(kept).toHaveLength(2);
    expect(sh(`sqlite3 '${join(data, kept.find((f) => f.startsWith('refserver'))!)}' 'SELECT id FROM docs'`).trim()).toBe('live');
    expect(readFileSync(join(data, kept.find((f) => f.startsWith('chromadb'))!, '6f1c-segment', 'header.bin'), 'utf8')).toBe('live');
    expect(host.audit('UNIFIED_RESTORE')).toEqual(['START', 'STEP1_APPROVED by vega', 'SERVICES_STOPPED', 'BOTH_SWAPPED', 'SERVICES_RESTARTED', 'SUCCESS']);
    // Point in time (seed 003 §4): as_of keeps only sets older than it; the newest of those is first.
    const asOf = await e.listChoices('unified-restore', 'refserver', 'backup_id', { sets_dir: sets, as_of: '2025-01-19 14:00' });
    if (!asOf.ok) throw new Error(asOf.error);
    expect(asOf.choices.map((c) => c.value)).toEqual(['unified_20250119_030000']);
    expect(await e.listChoices('unified-restore', 'refserver', 'backup_id', { sets_dir: sets, as_of: '19 Jan; id' })).toMatchObject({ ok: false, error: expect.stringContaining('parameter "as_of" must match') });
  });

  it('a set whose SQLite backup fails integrity_check restores neither: nothing stopped, both live copies untouched', async () => {
    const set = join(sets, 'unified_20250120_030000');
    const work = join(data, 'bad');
    mkdirSync(work);
    sh(`sqlite3 '${work}/r.db' "CREATE TABLE docs(id TEXT, body TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 500) INSERT INTO docs SELECT i, hex(randomblob(60)) FROM n;"`);
    const bytes = readFileSync(join(work, 'r.db'));
    for (let i = 4096; i < 4096 * 3; i++) bytes[i] = (i * 13) & 0xff;
    writeFileSync(join(work, 'r.db'), bytes);
    sh(`gzip -c '${work}/r.db' > '${set}/refserver.db.gz'`);
    const r = await restoreFailingAtStage(set);
    expect(r.output('stage')).toContain('the SQLite backup fails PRAGMA integrity_check');
    expectNeitherRestored();
  });

  it('a set whose ChromaDB archive is cut short restores neither: the good SQLite half is not applied alone', async () => {
    const set = join(sets, 'unified_20250120_030000');
    const bytes = readFileSync(join(set, 'chromadb.tar.gz'));
    writeFileSync(join(set, 'chromadb.tar.gz'), bytes.subarray(0, Math.floor(bytes.length / 2)));
    const r = await restoreFailingAtStage(set);
    expect(r.output('stage')).toContain('SQLite backup: integrity ok');
    expect(r.output('stage')).toMatch(/the ChromaDB archive (is damaged|could not be extracted); nothing was changed/);
    expect(r.message).toContain('nothing was changed (the service still runs; the staged copies were removed)');
    expectNeitherRestored();
    expect(readFileSync(join(chroma, '6f1c-segment', 'header.bin'), 'utf8')).toBe('live');
  });
});

describe('pdf-restore (seed 003 "PDF 파일만 복구")', () => {
  it('shows the rsync -n list before copying anything, deletes nothing by default, keeps replaced files, verifies by checksum', async () => {
    const base = join(host.dir, `pdfs-${Date.now()}`);
    const src = join(base, 'backup', 'pdfs');
    const dst = join(base, 'data', 'pdfs');
    mkdirSync(join(src, '2025'), { recursive: true });
    mkdirSync(dst, { recursive: true });
    writeFileSync(join(src, '2025', 'paper-a.pdf'), '%PDF-1.7 paper a');
    writeFileSync(join(src, 'paper-b.pdf'), '%PDF-1.7 paper b');
    writeFileSync(join(dst, 'paper-b.pdf'), '%PDF-1.7 damaged');
    writeFileSync(join(dst, 'uploaded-today.pdf'), '%PDF-1.7 new upload');
    const e = host.engine();
    let atConfirm: string[] = [];
    e.on((ev) => {
      if (ev.type === 'run.prompt' && ev.prompt?.kind === 'confirm') atConfirm = readdirSync(dst).sort();
    });
    const r = await host.run(e, 'pdf-restore', 'refserver', { source: src, target: dst });
    expect(r.outcome, JSON.stringify(r.steps) + r.output('sync') + r.output('verify')).toBe('success');
    expect(r.steps).toEqual(['source:ok', 'preview:ok', 'confirm:ok', 'sync:ok', 'verify:ok']);
    expect(r.output('preview')).toMatch(/2025\/paper-a\.pdf/);
    expect(r.output('preview')).toMatch(/paper-b\.pdf/);
    expect(atConfirm).toEqual(['paper-b.pdf', 'uploaded-today.pdf']);
    expect(readFileSync(join(dst, '2025', 'paper-a.pdf'), 'utf8')).toBe('%PDF-1.7 paper a');
    expect(readFileSync(join(dst, 'paper-b.pdf'), 'utf8')).toBe('%PDF-1.7 paper b');
    expect(readFileSync(join(dst, 'uploaded-today.pdf'), 'utf8')).toBe('%PDF-1.7 new upload');
    const replaced = readdirSync(base + '/data').find((f) => f.startsWith('pdfs.replaced.'))!;
    expect(readFileSync(join(base, 'data', replaced, 'paper-b.pdf'), 'utf8')).toBe('%PDF-1.7 damaged');
    expect(host.calls()).toEqual([]);
  });

  it('delete=yes removes what the backup lacks, into the .replaced folder', async () => {
    const base = join(host.dir, `pdfs-del-${Date.now()}`);
    const src = join(base, 'backup');
    const dst = join(base, 'pdfs');
    mkdirSync(src, { recursive: true });
    mkdirSync(dst, { recursive: true });
    writeFileSync(join(src, 'a.pdf'), 'a');
    writeFileSync(join(dst, 'stray.pdf'), 'stray');
    const e = host.engine();
    const r = await host.run(e, 'pdf-restore', 'refserver', { source: src, target: dst, delete: 'yes' });
    expect(r.outcome, r.output('sync')).toBe('success');
    expect(r.output('preview')).toContain('*deleting   stray.pdf');
    expect(readdirSync(dst)).toEqual(['a.pdf']);
    const replaced = readdirSync(base).find((f) => f.startsWith('pdfs.replaced.'))!;
    expect(readFileSync(join(base, replaced, 'stray.pdf'), 'utf8')).toBe('stray');
  });
});
