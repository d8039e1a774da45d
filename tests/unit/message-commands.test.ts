// Commands a failure message gives to paste (`cp -p … …` between backticks) are shell-quoted like
// a step's: a path holding a ' or a space stays one word. Each rollback command of the built-in
// restores is rendered with such paths and run through a real /bin/sh on real files; it must put
// the old state back. A message that wraps a value in quotes inside a command is refused at load.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRunbooks, parseRunbook } from '../../src/runbook/loader';
import { renderText, type RunScope } from '../../src/runbook/render';
import type { Runbook } from '../../src/runbook/schema';

const STAMP = '20261203_161500';
let dir: string;
let bin: string;
let runbooks: Map<string, Runbook>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'doai-msg-cmd-'));
  // docker is not installed here: a stand-in records `docker compose <verb>` and succeeds.
  bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'docker'), `#!/bin/sh\nprintf '%s|%s\\n' "$(pwd)" "$*" >> '${dir}/docker.log'\n`);
  chmodSync(join(bin, 'docker'), 0o755);
  runbooks = loadRunbooks({ builtinDir: resolve(__dirname, '../../actions') });
});
afterAll(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));

function scope(params: Record<string, string>): RunScope {
  return { targetKind: 'service', params, run: { stamp: STAMP, id: 'r1', operator: 'vega' }, hosts: new Map() };
}

/** The message a step adds when a later step fails, rendered. */
function laterFailed(id: string, step: string, params: Record<string, string>): string {
  const rb = runbooks.get(id)!;
  const text = rb.steps.find((s) => s.id === step)!.when_later_failed!.en;
  return renderText(text, scope(params));
}

/** The commands between backticks. */
function commands(message: string): string[] {
  return [...message.matchAll(/`([^`]*)`/g)].map((m) => m[1]!);
}

function sh(command: string): void {
  execFileSync('/bin/sh', ['-c', command], { env: { ...process.env, PATH: `${bin}:/usr/bin:/bin` }, stdio: 'pipe' });
}

/** A fresh directory whose name holds a ' and a space. */
function awkward(name: string): string {
  const d = join(dir, `o'neil data ${name}`);
  mkdirSync(d, { recursive: true });
  return d;
}

describe('commands in failure messages', () => {
  it("predictor-db-restore: the printed cp, run through sh -c, puts the old file back (path with a ' and spaces)", () => {
    const d = awkward('predictor');
    const db = join(d, "ROUTING AUTO TEST's.accdb");
    writeFileSync(`${db}.corrupted.${STAMP}`, 'the file as it was');
    writeFileSync(db, 'the restored file');
    const message = laterFailed('predictor-db-restore', 'keep-current', { db_file: db });
    const [cmd] = commands(message);
    expect(cmd).toBe(`cp -p '${d.replace(/'/g, "'\\''")}/ROUTING AUTO TEST'\\''s.accdb'.corrupted.${STAMP} '${d.replace(/'/g, "'\\''")}/ROUTING AUTO TEST'\\''s.accdb'`);
    sh(cmd!);
    expect(readFileSync(db, 'utf8')).toBe('the file as it was');
    // Outside the command the path is shown as it is.
    expect(message).toContain(`the previous file is ${db}.corrupted.${STAMP} (if there was one)`);
  });

  it('model-restore: the printed mv commands put the previous latest/ back', () => {
    const models = awkward('models');
    mkdirSync(join(models, `latest.corrupted.${STAMP}`));
    writeFileSync(join(models, `latest.corrupted.${STAMP}`, 'model.pkl'), 'old weights');
    mkdirSync(join(models, 'latest'));
    writeFileSync(join(models, 'latest', 'model.pkl'), 'new weights');
    const [cmd] = commands(laterFailed('model-restore', 'swap', { models_dir: models }));
    sh(cmd!);
    expect(readFileSync(join(models, 'latest', 'model.pkl'), 'utf8')).toBe('old weights');
    expect(readFileSync(join(models, `latest.failed.${STAMP}`, 'model.pkl'), 'utf8')).toBe('new weights');
  });

  it('chromadb-restore and unified-restore: the printed commands put the previous directory (and file) back', () => {
    const d = awkward('chroma');
    const chroma = join(d, 'chroma db');
    mkdirSync(`${chroma}.corrupted.${STAMP}`, { recursive: true });
    writeFileSync(join(`${chroma}.corrupted.${STAMP}`, 'header.bin'), 'old');
    mkdirSync(chroma);
    writeFileSync(join(chroma, 'header.bin'), 'new');
    const [cmd] = commands(laterFailed('chromadb-restore', 'swap', { chroma_dir: chroma, compose_dir: d }));
    sh(cmd!);
    expect(readFileSync(join(chroma, 'header.bin'), 'utf8')).toBe('old');
    expect(readdirSync(d).sort()).toEqual(['chroma db', `chroma db.failed.${STAMP}`]);
    expect(readFileSync(join(dir, 'docker.log'), 'utf8')).toBe(`${d}|compose down\n${d}|compose up -d\n`);

    const u = awkward('unified');
    const db = join(u, "ref server's.db");
    const ch = join(u, 'chromadb');
    writeFileSync(`${db}.corrupted.${STAMP}`, 'old db');
    writeFileSync(db, 'new db');
    mkdirSync(`${ch}.corrupted.${STAMP}`);
    writeFileSync(join(`${ch}.corrupted.${STAMP}`, 'x'), 'old chroma');
    mkdirSync(ch);
    const swap = runbooks.get('unified-restore')!.steps.find((s) => s.when_later_failed?.en.includes('To put both back'))!;
    const [ucmd] = commands(laterFailed('unified-restore', swap.id, { db_path: db, chroma_dir: ch, compose_dir: u }));
    sh(ucmd!);
    expect(readFileSync(db, 'utf8')).toBe('old db');
    expect(readFileSync(join(ch, 'x'), 'utf8')).toBe('old chroma');
  });

  it('pdf-restore: the printed rsync puts replaced files back', () => {
    const d = awkward('pdfs');
    const target = join(d, "it's pdfs");
    mkdirSync(join(`${target}.replaced.${STAMP}`, 'sub'), { recursive: true });
    writeFileSync(join(`${target}.replaced.${STAMP}`, 'sub', 'a.pdf'), 'old pdf');
    mkdirSync(join(target, 'sub'), { recursive: true });
    writeFileSync(join(target, 'sub', 'a.pdf'), 'new pdf');
    const [cmd] = commands(laterFailed('pdf-restore', 'sync', { target }));
    sh(cmd!);
    expect(readFileSync(join(target, 'sub', 'a.pdf'), 'utf8')).toBe('old pdf');
  });

  it('every command in every built-in message parses in sh with such values, and each value in it is quoted whole', () => {
    const value = "/srv/o'neil data/x y";
    const quoted = `'${value.replace(/'/g, "'\\''")}'`;
    let seen = 0;
    for (const rb of runbooks.values()) {
      const params = Object.fromEntries(Object.keys(rb.params).map((k) => [k, value]));
      const texts = [rb.on_success?.message, rb.on_failure?.message, ...rb.steps.flatMap((s) => [s.when_failed, s.when_later_failed, s.when_not_approved])]
        .filter((t): t is { ko: string; en: string } => t !== undefined)
        .flatMap((t) => [t.en, t.ko]);
      const service = { name: 'svc', host: 'h', unit: 'svc.service' } as RunScope['service'];
      for (const text of texts) {
        for (const cmd of commands(renderText(text, { ...scope(params), service }))) {
          seen++;
          expect(cmd, `${rb.id}: ${text}`).not.toContain('{{');
          execFileSync('/bin/sh', ['-n', '-c', cmd]);
          // Every occurrence of the value is the quoted word, never the value bare or half-quoted.
          expect(cmd.split(quoted).join(''), `${rb.id}: ${cmd}`).not.toContain("o'neil");
        }
      }
    }
    expect(seen).toBeGreaterThan(15);
  });

  it("a message that wraps a value in quotes inside a command is refused at load (it is quoted for you)", () => {
    const yaml = `id: quoted-msg
level: L1
audit_name: QUOTED_MSG
approval: auto
title: { ko: "t", en: "t" }
description: { ko: "d", en: "d" }
target: service
params:
  file: { type: file, default: /data/x, description: { ko: "f", en: "f" } }
steps:
  - id: a
    kind: ssh
    title: { ko: "a", en: "a" }
    run: "true"
    when_later_failed: { ko: "x", en: "put it back: \`cp -p '{{params.file}}.old' {{params.file}}\`" }
  - id: b
    kind: ssh
    title: { ko: "b", en: "b" }
    run: "true"
`;
    const parsed = parseRunbook(yaml, 'quoted-msg.yaml');
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(JSON.stringify(parsed)).toContain('{{params.file}} is inside single quotes in the command');
  });
});
