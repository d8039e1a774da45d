// `doai-console report` and `stats` against incidents stored as an earlier console left them,
// run as the built binary.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli';
import { incidentToJson, type IncidentRecord } from '../../src/incident/files';

let dir: string;
let config: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'inc-cli-'));
  config = join(dir, 'console.yaml');
  writeFileSync(config, `paths:\n  state_dir: ${join(dir, 'state')}\n  incidents_dir: ${join(dir, 'reports')}\n`);
});
afterEach(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));

const now = Date.now();
const ago = (min: number) => new Date(now - min * 60_000);

function store(rec: Partial<IncidentRecord> & { id: string; openedAt: Date }): void {
  mkdirSync(join(dir, 'state', 'incidents'), { recursive: true });
  const full: IncidentRecord = { title: `incident ${rec.id}`, slug: `incident-${rec.id}`, severity: 'P1', state: 'closed', openedBy: 'orion', runIds: [], timeline: [], ...rec };
  writeFileSync(join(dir, 'state', 'incidents', `${rec.id}.json`), incidentToJson(full));
}

describe('report', () => {
  it('writes and prints the latest incident report; an id prefix picks another', async () => {
    store({ id: 'a1', openedAt: ago(300), resolvedAt: ago(270), level: 'L1', timeline: [{ at: ago(300), kind: 'run', text: { en: 'L1 started', ko: 'L1 시작' }, actor: 'orion' }] });
    store({ id: 'b2', openedAt: ago(60), resolvedAt: ago(45), level: 'L2', rootCause: 'disk full' });
    const res = await runCli(['report', '--config', config, '--lang', 'en']);
    expect(res.stderr).toMatch(/^wrote .*reports\/\d{4}-\d\d-\d\d-incident-b2\.md\n$/);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('# Incident: incident b2');
    expect(res.stdout).toContain('## Root cause\ndisk full');
    const path = res.stderr.slice('wrote '.length).trim();
    expect(readFileSync(path, 'utf8')).toBe(res.stdout);
    const ko = await runCli(['report', 'a', '--config', config, '--lang', 'ko']);
    expect(ko.code).toBe(0);
    expect(ko.stdout).toContain('## 타임라인');
    expect(ko.stdout).toContain('| L1 시작 | orion |');
    expect(ko.stdout).toMatch(/- 영향 시간: 30분/);
  });

  it('an unknown incident or none at all exits 2 with what to do', async () => {
    const none = await runCli(['report', '--config', config]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no incidents recorded in .*state\/incidents yet — an incident opens when a runbook starts, or with i in the console/);
    store({ id: 'a1', openedAt: ago(10) });
    const bad = await runCli(['report', 'zzz', '--config', config]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/no incident "zzz" in .*; give one of these ids:\n  a1 /);
    expect(existsSync(join(dir, 'reports'))).toBe(false);
  });
});

describe('stats', () => {
  it('counts, MTTR and MTBF over the period, as text and JSON', async () => {
    // 10, 20 and 60 min to resolve; one outside 30 days.
    store({ id: 'x1', openedAt: ago(3000), resolvedAt: ago(2990) });
    store({ id: 'x2', openedAt: ago(2000), resolvedAt: ago(1980) });
    store({ id: 'x3', openedAt: ago(1000), resolvedAt: ago(940) });
    store({ id: 'old', openedAt: ago(60 * 24 * 40), resolvedAt: ago(60 * 24 * 40 - 5) });
    const text = await runCli(['stats', '--config', config]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/: 3 \(3 resolved, 0 open\)\nMTTR  mean 30 min · median 20 min · p95 1 h\nMTBF  16 h 25 min \(over 2 intervals\)\n$/);
    const json = await runCli(['stats', '--since', '2d', '--json', '--config', config]);
    const parsed = JSON.parse(json.stdout);
    expect(parsed).toMatchObject({ count: 2, resolved: 2, mttrMin: { mean: 40, median: 40, p95: 60 }, mtbfMin: 980, intervals: 1 });
  });

  it('a period that is not one exits 2 and says how to write it', async () => {
    const res = await runCli(['stats', '--since', 'last week', '--config', config]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--since "last week" is not a period; use a number and a unit, e.g. 30d, 12h, 90m or 2w');
  });
});
