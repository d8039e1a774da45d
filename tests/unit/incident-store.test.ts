// Incidents from run events, transitions, alerts and sign-offs; the report compared section by
// section with a timeline built here; stats on a fixed set with known answers.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/core/clock';
import type { IncidentView, ServiceTransition } from '../../src/core/views';
import type { RunEvent, RunEventListener } from '../../src/runbook/events';
import { createIncidentStore } from '../../src/incident/store';
import { localDate, renderReport, reportPathFor, writeReport } from '../../src/incident/report';
import { computeStats, formatStats, parsePeriod, percentile } from '../../src/incident/stats';
import { clockTone, currentBand, escalationBands } from '../../src/incident/targets';
import { slugify } from '../../src/incident/files';
import { writeFileAtomic } from '../../src/core/atomic-file';
import type { ChecklistEvent } from '../../src/checklist/store';

const T0 = Date.UTC(2026, 0, 4, 6, 30, 0);
const at = (s: number) => new Date(T0 + s * 1000);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'inc-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));

class FakeEngine {
  private listeners = new Set<RunEventListener>();
  on(l: RunEventListener) {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  emit(e: RunEvent) {
    for (const l of this.listeners) l(e);
  }
}

class FakeSources {
  transitions = new Set<(t: ServiceTransition) => void>();
  checklist = new Set<(e: ChecklistEvent) => void>();
  onTransition(l: (t: ServiceTransition) => void) {
    this.transitions.add(l);
    return () => this.transitions.delete(l);
  }
  onEvent(l: (e: ChecklistEvent) => void) {
    this.checklist.add(l);
    return () => this.checklist.delete(l);
  }
}

function make(clock = new FakeClock(T0), lang: 'en' | 'ko' = 'en', settleMs = 0, pollMs = 0) {
  const store = createIncidentStore({
    dir: join(dir, 'state', 'incidents'),
    reportsDir: join(dir, 'reports'),
    snapshotsDir: join(dir, 'snapshots'),
    alertsFile: join(dir, 'state', 'alerts.jsonl'),
    clock,
    operator: 'orion',
    rtoMin: 120,
    contacts: [{ name: 'Kim', role: 'backend developer', reach: '+82-10-0000-0000', fromMin: 30 }],
    lang,
    describe: { runbook: (id) => (id === 'l1-soft-reset' ? { en: 'L1 Soft Reset', ko: 'L1 소프트 리셋' } : id === 'l2-service-reset' ? { en: 'L2 Service Reset', ko: 'L2 서비스 리셋' } : undefined), step: (_r, s) => ({ en: `step ${s}`, ko: `단계 ${s}` }) },
    hostOf: (s) => (s === 'orch' ? 'vultr' : undefined),
    pollMs,
    settleMs,
  });
  const engine = new FakeEngine();
  const sources = new FakeSources();
  store.attachEngine(engine);
  store.attachFleet(sources);
  store.attachChecklists(sources);
  return { store, engine, sources, clock };
}

function started(runId: string, s: number, runbook = 'l1-soft-reset', level = 'L1', target = 'orch'): RunEvent {
  return { type: 'run.started', runId, runbook, level, auditName: level, target, operator: 'orion', dryRun: false, at: at(s) };
}

/** A run that starts and gets as far as its first step (that is when an incident opens). */
function emitRan(engine: FakeEngine, runId: string, s: number, runbook = 'l1-soft-reset', level = 'L1', target = 'orch'): void {
  engine.emit(started(runId, s, runbook, level, target));
  engine.emit({ type: 'step.started', runId, stepId: 'first', at: at(s) });
}

describe('incident store', () => {
  it('a second console on the same folder picks up an incident opened by the first (its re-read runs though engine and fleet were attached before start)', async () => {
    const a = make(new FakeClock(T0), 'en', 0, 0);
    const b = make(new FakeClock(T0), 'en', 0, 40);
    b.store.start();
    try {
      const opened = a.store.openManual('disk full on vultr', 'P2');
      expect(opened.ok).toBe(true);
      const id = (opened as { id: string }).id;
      for (let i = 0; i < 100 && !b.store.getSnapshot().incidents.some((x) => x.id === id); i++) await new Promise((r) => setTimeout(r, 20));
      expect(b.store.getSnapshot().incidents.map((x) => x.id)).toContain(id);
    } finally {
      b.store.stop();
      a.store.stop();
    }
  });

  it('starting a runbook opens an incident from the first bad transition, and a second run attaches to it', () => {
    const { store, engine, sources } = make();
    for (const l of sources.transitions) {
      l({ service: 'orch', from: 'UP', to: 'SUSPECT', at: at(0), error: 'HTTP 503' });
      l({ service: 'orch', from: 'SUSPECT', to: 'DOWN', at: at(60), error: 'HTTP 503' });
    }
    engine.emit(started('r1', 90));
    engine.emit({ type: 'approval.granted', runId: 'r1', step: 1, approver: 'auto', how: 'auto', at: at(90) });
    engine.emit({ type: 'step.started', runId: 'r1', stepId: 'restart', at: at(90) });
    engine.emit({ type: 'step.finished', runId: 'r1', stepId: 'restart', outcome: 'ok', at: at(95) });
    engine.emit({ type: 'step.finished', runId: 'r1', stepId: 'status', outcome: 'skipped', at: at(96) });
    engine.emit({ type: 'run.finished', runId: 'r1', outcome: 'failed', escalateTo: 'l2-service-reset', message: 'verify failed', at: at(130) });
    engine.emit(started('r2', 140, 'l2-service-reset', 'L2', 'orch'));
    engine.emit({ type: 'approval.granted', runId: 'r2', step: 1, approver: 'kim', how: 'code', at: at(150) });
    engine.emit({ type: 'step.started', runId: 'r2', stepId: 'snapshot', at: at(150) });
    engine.emit({ type: 'run.finished', runId: 'r2', outcome: 'success', at: at(260) });
    const list = store.getSnapshot().incidents;
    expect(list).toHaveLength(1);
    const i = list[0]!;
    // Not resolved yet: the last the fleet saw of orch is DOWN (resolution waits for it to stay UP).
    expect(i).toMatchObject({ target: 'orch', openedAt: at(0), respondedAt: at(90), resolvedAt: undefined, level: 'L2', severity: 'P1', runIds: ['r1', 'r2'], state: 'open' });
    expect(i.timeline.map((e) => [e.at.getTime() - T0, e.kind, e.text.en, e.actor])).toEqual([
      [0, 'transition', 'orch UP → SUSPECT (HTTP 503)', 'health'],
      [60000, 'transition', 'orch SUSPECT → DOWN (HTTP 503)', 'health'],
      [90000, 'incident', 'Incident opened by L1 Soft Reset on orch', 'orion'],
      [90000, 'run', 'L1 Soft Reset started on orch', 'orion'],
      [90000, 'approval', 'L1 approval step 1 granted (auto)', 'auto'],
      [95000, 'step', 'L1 step restart — ok', 'orion'],
      [130000, 'run', 'L1 Soft Reset FAILED (verify failed)', 'orion'],
      [140000, 'run', 'L2 Service Reset started on orch', 'orion'],
      [150000, 'approval', 'L2 approval step 1 granted (code)', 'kim'],
      [260000, 'run', 'L2 Service Reset SUCCESS', 'orion'],
    ]);
  });

  it('a dry run opens nothing; a box reset attaches to the incident of a service on that box', () => {
    const { store, engine } = make();
    engine.emit({ ...(started('d', 0) as Extract<RunEvent, { type: 'run.started' }>), dryRun: true });
    expect(store.getSnapshot().incidents).toHaveLength(0);
    emitRan(engine, 'r1', 10);
    emitRan(engine, 'r3', 20, 'l3-box-reset', 'L3', 'vultr');
    const [i] = store.getSnapshot().incidents;
    expect(store.getSnapshot().incidents).toHaveLength(1);
    expect(i).toMatchObject({ runIds: ['r1', 'r3'], level: 'L3', severity: 'P0' });
  });

  it('a form cancelled or an approval refused before any step ran opens no incident and raises no severity', () => {
    const { store, engine } = make();
    // L2 form opened on a healthy service and cancelled: nothing ran.
    engine.emit(started('c1', 0, 'l2-service-reset', 'L2'));
    engine.emit({ type: 'approval.requested', runId: 'c1', step: 1, at: at(1) });
    engine.emit({ type: 'run.finished', runId: 'c1', outcome: 'cancelled', message: 'cancelled by orion', at: at(5) });
    expect(store.getSnapshot().incidents).toHaveLength(0);
    // An L1 ran: P2 incident. An L3 then refused for the same approver changes nothing but the timeline.
    emitRan(engine, 'r1', 10);
    engine.emit({ type: 'run.finished', runId: 'r1', outcome: 'failed', at: at(40) });
    engine.emit(started('r3', 50, 'l3-box-reset', 'L3', 'vultr'));
    engine.emit({ type: 'approval.granted', runId: 'r3', step: 1, approver: 'kim', how: 'session', at: at(60) });
    engine.emit({ type: 'approval.rejected', runId: 'r3', step: 2, approver: 'kim', reason: 'Same approver', at: at(70) });
    engine.emit({ type: 'run.finished', runId: 'r3', outcome: 'failed', message: 'STEP2_REJECTED - Same approver', at: at(70) });
    const list = store.getSnapshot().incidents;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ severity: 'P2', level: 'L1', runIds: ['r1'] });
    expect(list[0]!.timeline.map((e) => e.text.en).slice(-3)).toEqual([
      'L3 approval step 1 granted (session)',
      'L3 approval step 2 refused: Same approver',
      'l3-box-reset FAILED before any step ran (STEP2_REJECTED - Same approver)',
    ]);
  });

  it('resolved only after the target stays UP for the settle time; a relapse inside it reopens the same incident', async () => {
    const clock = new FakeClock(T0);
    const { store, engine, sources } = make(clock, 'en', 120_000);
    const tr = (from: ServiceTransition['from'], to: ServiceTransition['to'], s: number, service = 'orch') => {
      for (const l of sources.transitions) l({ service, from, to, at: at(s) });
    };
    tr('UP', 'DOWN', 0);
    emitRan(engine, 'r1', 10);
    tr('DOWN', 'UP', 30);
    await clock.advance(40_000);
    engine.emit({ type: 'run.finished', runId: 'r1', outcome: 'success', at: at(40) });
    expect(store.getSnapshot().incidents[0]!.resolvedAt).toBeUndefined();
    // Another service's trouble is not this incident's.
    tr('UP', 'DOWN', 60, 'caddy');
    await clock.advance(20_000);
    tr('UP', 'DOWN', 60 + 20);
    await clock.advance(200_000); // well past the settle time: still DOWN, not resolved
    expect(store.getSnapshot().incidents[0]!.resolvedAt).toBeUndefined();
    tr('DOWN', 'UP', 300);
    await clock.advance(60_000);
    expect(store.getSnapshot().incidents[0]!.resolvedAt).toBeUndefined();
    await clock.advance(61_000);
    const i = store.getSnapshot().incidents[0]!;
    expect(i.resolvedAt).toEqual(at(300));
    expect(store.getSnapshot().incidents).toHaveLength(1);
    expect(i.timeline.map((e) => e.text.en)).toEqual(expect.arrayContaining(['Relapse: orch DOWN after the recovery — not resolved', 'Resolved: orch UP for 2 min since the recovery']));
    expect(i.timeline.map((e) => e.text.en).join('\n')).not.toContain('caddy');
    const res = store.close(i.id, {});
    const md = readFileSync((res as { reportPath: string }).reportPath, 'utf8');
    expect(md).toContain('- Impact duration: 5 min');
  });

  it('run history for the recommendation: a failed recovery counts until one succeeds; a refused approval does not', () => {
    const { store, engine } = make();
    emitRan(engine, 'r1', 0);
    engine.emit({ type: 'run.finished', runId: 'r1', outcome: 'failed', escalateTo: 'l2-service-reset', at: at(30) });
    expect(store.failedRecoveries()).toEqual([{ target: 'orch', level: 'L1' }]);
    engine.emit(started('r2', 40, 'l2-service-reset', 'L2'));
    engine.emit({ type: 'run.finished', runId: 'r2', outcome: 'failed', message: 'STEP1_REJECTED', at: at(50) });
    expect(store.failedRecoveries()).toEqual([{ target: 'orch', level: 'L1' }]);
    emitRan(engine, 'r3', 60, 'l2-service-reset', 'L2');
    engine.emit({ type: 'run.finished', runId: 'r3', outcome: 'failed', escalateTo: 'l3-box-reset', at: at(90) });
    expect(store.failedRecoveries()).toEqual([{ target: 'orch', level: 'L2' }]);
    // A new console reads it back from the incident file.
    expect(make().store.failedRecoveries()).toEqual([{ target: 'orch', level: 'L2' }]);
    emitRan(engine, 'r4', 100, 'l2-service-reset', 'L2');
    engine.emit({ type: 'run.finished', runId: 'r4', outcome: 'success', at: at(130) });
    expect(store.failedRecoveries()).toEqual([]);
  });

  it('opens one by hand with a title; an empty title says what to do; sign-offs land on the timeline', () => {
    const { store, sources } = make();
    expect(store.openManual('   ')).toMatchObject({ ok: false, error: { en: expect.stringMatching(/needs a title — type what is wrong/) } });
    const res = store.openManual('Queue stuck', 'P1');
    expect(res.ok).toBe(true);
    const id = (res as { id: string }).id;
    for (const l of sources.checklist) l({ type: 'signed', instanceId: 'c1', checklistId: 'post', title: { en: 'Post', ko: '사후' }, incidentId: id, item: { id: 'health', text: { en: 'Health', ko: '헬스' } }, operator: 'kim', at: at(30), override: true, note: 'flapping, ack' });
    const i = store.get(id)!;
    expect(i.severity).toBe('P1');
    expect(i.timeline.map((e) => e.text.en)).toEqual(['Incident opened by hand: Queue stuck', 'Signed with override: Health — flapping, ack']);
    expect(store.setSeverity(id, 'P0')).toEqual({ ok: true });
    expect(store.get(id)!.severity).toBe('P0');
  });

  it('survives a restart: a new store reads the same incidents, and the run that comes next attaches', () => {
    const first = make();
    emitRan(first.engine, 'r1', 0);
    const second = make();
    expect(second.store.getSnapshot().incidents.map((i) => i.runIds)).toEqual([['r1']]);
    emitRan(second.engine, 'r2', 30);
    expect(second.store.getSnapshot().incidents).toHaveLength(1);
    expect(second.store.getSnapshot().incidents[0]!.runIds).toEqual(['r1', 'r2']);
  });

  it('close writes the report atomically, with the alerts file merged; closing twice says how to rewrite', async () => {
    const clock = new FakeClock(T0);
    const { store, engine } = make(clock);
    mkdirSync(join(dir, 'state'), { recursive: true });
    writeFileSync(
      join(dir, 'state', 'alerts.jsonl'),
      [
        JSON.stringify({ at: at(5).toISOString(), type: 'alert.fired', rule: 'orchestrator_down', subject: 'orch', state: 'firing', message: 'orch down: 3 failures' }),
        JSON.stringify({ at: at(6).toISOString(), type: 'alert.notified', rule: 'orchestrator_down', subject: 'orch', state: 'firing', message: 'x' }),
        'not json',
        JSON.stringify({ at: at(5).toISOString(), type: 'alert.fired', rule: 'node_offline', subject: 'elsewhere', state: 'firing', message: 'other' }),
      ].join('\n') + '\n',
    );
    emitRan(engine, 'r1', 0);
    engine.emit({ type: 'run.finished', runId: 'r1', outcome: 'success', at: at(600) });
    const id = store.getSnapshot().incidents[0]!.id;
    await clock.advance(700_000);
    const res = store.close(id, { rootCause: 'memory leak', prevention: ['patch the leak', ' ', 'alert on RSS'] });
    expect(res.ok).toBe(true);
    const path = (res as { reportPath: string }).reportPath;
    expect(path).toBe(join(dir, 'reports', `${localDate(new Date(T0))}-orch-l1-soft-reset.md`));
    const md = readFileSync(path, 'utf8');
    expect(md).toContain('| Alert orchestrator_down fired: orch down: 3 failures | alerts |');
    expect(md).not.toContain('other');
    expect(md).toContain('- Impact duration: 10 min');
    const hms = (d: Date) => d.toTimeString().slice(0, 8);
    expect(md).toContain(`| ${hms(at(600))} | L1 Soft Reset SUCCESS | orion |\n| ${hms(at(700))} | Incident closed | orion |`);
    expect(readdirSync(join(dir, 'reports')).filter((n) => n.includes('.tmp'))).toEqual([]);
    expect(store.close(id, {})).toMatchObject({ ok: false, error: { en: expect.stringMatching(/already closed .* `doai-console report .*` rewrites its report/) } });
  });
});

describe('report', () => {
  const incident: IncidentView = {
    id: '20260104-1530-ab12',
    title: 'orch down | again',
    slug: 'orch-down-again',
    severity: 'P1',
    state: 'closed',
    target: 'orch',
    openedAt: new Date(2026, 0, 4, 15, 30, 0),
    openedBy: 'orion',
    respondedAt: new Date(2026, 0, 4, 15, 31, 0),
    resolvedAt: new Date(2026, 0, 4, 15, 42, 30),
    closedAt: new Date(2026, 0, 4, 16, 0, 0),
    level: 'L2',
    runIds: ['run-1'],
    timeline: [
      { at: new Date(2026, 0, 4, 15, 30, 0), kind: 'transition', text: { en: 'orch UP → DOWN', ko: 'orch UP → DOWN' }, actor: 'health' },
      { at: new Date(2026, 0, 4, 15, 31, 0), kind: 'run', text: { en: 'L2 started | pipe', ko: 'L2 시작 | 파이프' }, actor: 'orion' },
      { at: new Date(2026, 0, 5, 0, 1, 0), kind: 'signoff', text: { en: 'Signed:\nHealth', ko: '서명: 헬스' }, actor: 'kim' },
    ],
  };

  const sections = (md: string) => Object.fromEntries(md.split(/\n(?=## )/).map((s) => [s.split('\n')[0]!, s]));

  it('follows seed 000: summary, timeline table, root cause, prevention — in Korean', () => {
    const md = renderReport(incident, { lang: 'ko' });
    expect(md.startsWith('# Incident: orch down \\| again\n')).toBe(true);
    const s = sections(md);
    expect(Object.keys(s).slice(1)).toEqual(['## 요약', '## 타임라인', '## 근본 원인', '## 재발 방지']);
    expect(s['## 요약']).toContain('- 발생: 2026-01-04 15:30\n- 해결: 2026-01-04 15:42\n- 영향 시간: 13분\n- 복구 레벨: L2\n- 심각도: P1 (대응 목표 30분, 해결 목표 4시간)');
    expect(s['## 타임라인']!.split('\n').slice(1)).toEqual([
      '| 시간 | 이벤트 | 담당 |',
      '|------|--------|------|',
      '| 15:30:00 | orch UP → DOWN | health |',
      '| 15:31:00 | L2 시작 \\| 파이프 | orion |',
      '| 2026-01-05 00:01:00 | 서명: 헬스 | kim |',
      '',
    ]);
    expect(s['## 근본 원인']).toMatch(/\(분석 내용\) <!-- TODO: /);
    expect(s['## 재발 방지']).toMatch(/- \[ \] \(조치 항목\) <!-- TODO: /);
  });

  it('typed root cause and prevention replace the placeholders; snapshots are linked relative to the report', () => {
    const md = renderReport({ ...incident, rootCause: 'OOM', prevention: ['raise limit', 'alert'] }, { lang: 'en', reportDir: '/srv/incidents', snapshots: ['/srv/snapshots/20260104_153100'] });
    const s = sections(md);
    expect(s['## Timeline']).toContain('| 2026-01-05 00:01:00 | Signed: Health | kim |');
    expect(s['## Root cause']).toBe('## Root cause\nOOM\n');
    expect(s['## Prevention']).toBe('## Prevention\n- [ ] raise limit\n- [ ] alert\n');
    expect(s['## Snapshots']).toContain('- [20260104_153100](../snapshots/20260104_153100)');
    expect(md).not.toContain('TODO');
  });

  it('file name YYYY-MM-DD-<slug>.md, never over another incident\'s report; only its own runs\' snapshots', () => {
    mkdirSync(join(dir, 'r'));
    writeFileSync(join(dir, 'r', '2026-01-04-orch-down-again.md'), 'someone else');
    expect(reportPathFor(join(dir, 'r'), incident)).toBe(join(dir, 'r', '2026-01-04-orch-down-again-2.md'));
    expect(slugify('도커 장애')).toBe('incident');
    expect(slugify('  API: 502 / Bad Gateway!! ')).toBe('api-502-bad-gateway');
    const snaps = join(dir, 'snaps');
    mkdirSync(join(snaps, 'run-1'), { recursive: true });
    // Another service's L2 snapshot, taken during this incident: not this incident's evidence.
    mkdirSync(join(snaps, 'run-caddy'), { recursive: true });
    utimesSync(join(snaps, 'run-caddy'), new Date(2026, 0, 4, 15, 35), new Date(2026, 0, 4, 15, 35));
    const res = writeReport(join(dir, 'r'), incident, { lang: 'en', snapshotsDir: snaps, now: new Date(2026, 0, 4, 16) });
    expect(res.markdown).toContain('[run-1](../snaps/run-1)');
    expect(res.markdown).not.toContain('run-caddy');
    expect(existsSync(res.path)).toBe(true);
  });
});

describe('atomic writes', () => {
  it('a write that cannot finish leaves the old file whole and no temp file behind', () => {
    const path = join(dir, 'report.md');
    writeFileAtomic(path, 'old report\n');
    writeFileAtomic(path, 'new report\n');
    expect(readFileSync(path, 'utf8')).toBe('new report\n');
    // The rename onto a directory fails half-way through the protocol.
    const blocked = join(dir, 'blocked.md');
    mkdirSync(join(blocked, 'inside'), { recursive: true });
    expect(() => writeFileAtomic(blocked, 'x'.repeat(100_000))).toThrow();
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(readFileSync(path, 'utf8')).toBe('new report\n');
  });
});

describe('targets and stats', () => {
  it('clock colours: ok, near at 75 %, over at 100 %, met when stopped in time', () => {
    expect(clockTone(10 * 60_000, 30, false)).toBe('ok');
    expect(clockTone(23 * 60_000, 30, false)).toBe('near');
    expect(clockTone(30 * 60_000, 30, false)).toBe('over');
    expect(clockTone(29 * 60_000, 30, true)).toBe('met');
    expect(clockTone(31 * 60_000, 30, true)).toBe('over');
  });

  it('escalation bands 0-30 / 30-60 / 60-120 / 120+ with contacts by from_min', () => {
    expect([0, 29.9, 30, 59, 60, 119, 120, 600].map((m) => currentBand(m * 60_000))).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
    const bands = escalationBands([{ name: 'A', role: 'devops', fromMin: 0 }, { name: 'B', role: 'cto', fromMin: 120 }]);
    expect(bands.map((b) => b.contacts.map((c) => c.name))).toEqual([['A'], [], [], ['B']]);
  });

  it('MTTR mean / median / p95 and MTBF on a fixed set', () => {
    const d = (day: number, h = 0, m = 0) => new Date(Date.UTC(2026, 0, day, h, m));
    // Durations 10, 20, 30, 40, 100 min; one still open; gaps between them known.
    const incidents = [
      { openedAt: d(1, 0), resolvedAt: d(1, 0, 10) },
      { openedAt: d(2, 0), resolvedAt: d(2, 0, 20) },
      { openedAt: d(3, 0), resolvedAt: d(3, 0, 30) },
      { openedAt: d(4, 0), resolvedAt: d(4, 0, 40) },
      { openedAt: d(5, 0), resolvedAt: d(5, 1, 40) },
      { openedAt: d(6, 0) },
      { openedAt: d(20, 0), resolvedAt: d(20, 1) }, // outside the period below
    ];
    const s = computeStats(incidents, d(1), d(7));
    expect(s).toMatchObject({ count: 6, resolved: 5, open: 1, mttrMin: { mean: 40, median: 30, p95: 100 }, intervals: 5 });
    // gaps: 1430, 1420, 1410, 1400, 1340 → mean 1400
    expect(s.mtbfMin).toBe(1400);
    expect(formatStats(s)).toBe(
      'incidents 2026-01-01 .. 2026-01-07: 6 (5 resolved, 1 open)\nMTTR  mean 40 min · median 30 min · p95 1 h 40 min\nMTBF  23 h 20 min (over 5 intervals)\n',
    );
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
    expect(computeStats([], d(1), d(7))).toMatchObject({ count: 0, intervals: 0 });
    expect(formatStats(computeStats([], d(1), d(7)))).toContain('MTTR  n/a');
  });

  it('periods: 30d, 12h, 90m, 2w; anything else is refused', () => {
    expect(parsePeriod('30d')).toBe(30 * 86_400_000);
    expect(parsePeriod('12h')).toBe(12 * 3_600_000);
    expect(parsePeriod('90m')).toBe(90 * 60_000);
    expect(parsePeriod('2w')).toBe(14 * 86_400_000);
    for (const bad of ['', '30', 'd30', '-1d', '0d', '30 days']) expect(parsePeriod(bad), bad).toBeUndefined();
  });
});
