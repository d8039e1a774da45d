// The checklist and incident screens driven by their registry keys, on the real checklist and
// incident stores (temp files), the in-memory fleet and runs of the other screen tests.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/core/clock';
import type { ServiceHealth } from '../../src/core/views';
import { createChecklistStore } from '../../src/checklist/store';
import { createIncidentStore } from '../../src/incident/store';
import type { ChecklistDefinition } from '../../src/checklist/schema';
import { delay, FakeRunControl, MemoryFleetStore, MemoryRunsStore, press, renderApp, service, T0, waitForFrame } from './fixtures';

const post: ChecklistDefinition = {
  id: 'post-recovery',
  title: { en: 'Post-recovery checklist', ko: '복구 후 체크리스트' },
  post_recovery: true,
  sections: [
    {
      id: 'now',
      title: { en: 'Immediately', ko: '즉시' },
      items: [
        { id: 'health', text: { en: '/health answers', ko: '/health 응답' }, auto: { check: 'health_ok' } },
        { id: 'ws', text: { en: 'WebSocket accepts', ko: 'WebSocket 수락' }, auto: { check: 'websocket_accepts' } },
        { id: 'nodes', text: { en: 'Nodes reconnecting', ko: '노드 재연결' } },
      ],
    },
    { id: 'later', title: { en: 'After 10 minutes', ko: '10분 후' }, opens_after_min: 10, items: [{ id: 'lat', text: { en: 'Latency < 500 ms', ko: '지연 < 500ms' }, auto: { check: 'latency_below', max_ms: 500 } }] },
  ],
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'scr-ops-'));
});
afterEach(() => {
  cleanup();
  rmSync(dir, { recursive: true, force: true, maxRetries: 10 });
});

/** A restore's follow-up checklist (seed 003's "after" list), named by its runbook. */
const after: ChecklistDefinition = {
  id: 'restore-after',
  title: { en: 'After a restore', ko: '복구 후' },
  post_recovery: false,
  sections: [{ id: 'after', title: { en: 'After', ko: '복구 후 검증' }, items: [{ id: 'integrity', text: { en: 'Check data integrity', ko: '데이터 무결성 확인' } }] }],
};

/** A control whose L1 names a follow-up checklist, as seed 003's restores do (checklist: restore-after). */
class FollowUpControl extends FakeRunControl {
  listRunbooks() {
    return super.listRunbooks().map((r) => (r.id === 'l1-soft-reset' ? { ...r, checklist: 'restore-after' } : r));
  }
}

function setup(services: ServiceHealth[] = [service({ name: 'doai-orchestrator' })], opts: { followUp?: boolean } = {}) {
  const clock = new FakeClock(T0);
  const fleet = new MemoryFleetStore(services);
  const runs = new MemoryRunsStore();
  const control = opts.followUp ? new FollowUpControl(runs) : new FakeRunControl(runs);
  const checklists = createChecklistStore({
    dir: join(dir, 'checklists'),
    definitions: [post, after],
    clock,
    operator: 'orion',
    facts: () => ({ services: fleet.getSnapshot().services }),
    factSources: [fleet],
    scopeOf: () => ({ services: ['doai-orchestrator'], hosts: ['vultr'] }),
    pollMs: 0,
  });
  const incidents = createIncidentStore({
    dir: join(dir, 'incidents'),
    reportsDir: join(dir, 'reports'),
    clock,
    operator: 'orion',
    rtoMin: 120,
    contacts: [{ name: 'Kim', role: 'backend developer', fromMin: 30 }],
    lang: 'en',
    pollMs: 0,
  });
  incidents.attachChecklists(checklists);
  const r = renderApp({ fleet, runs, control, configPath: 'console.yaml', clock, ops: { checklists, checklistControl: checklists, incidents, incidentControl: incidents } });
  return { ...r, clock, fleet, runs, control, checklists, incidents };
}

/** Starts L1 from the dashboard and lets it succeed, as the engine would report it. */
async function recovered(s: ReturnType<typeof setup>) {
  await delay();
  await press(s.stdin, 'runbook.l1');
  await press(s.stdin, 'confirm.yes'); // the service is UP: the console asks first
  s.runs.updateRun('run-1', { state: 'success', finishedAt: new Date(T0.getTime() + 30_000) });
  await delay();
}

const frameOf = async (s: { lastFrame(): string | undefined }) => {
  await delay();
  return s.lastFrame() ?? '';
};

describe('checklist screen', () => {
  it('after a successful recovery the run screen offers the checklist; l opens it, gated from the success', async () => {
    const s = setup();
    await delay();
    await press(s.stdin, 'runbook.l1');
    await press(s.stdin, 'confirm.yes');
    expect(await frameOf(s)).not.toContain('post-recovery checklist');
    await press(s.stdin, 'run.checklist');
    expect(await frameOf(s)).toContain('the post-recovery checklist opens after a successful recovery');
    s.runs.updateRun('run-1', { state: 'success', finishedAt: new Date(T0.getTime() + 30_000) });
    expect(await frameOf(s)).toContain('l post-recovery checklist');
    await press(s.stdin, 'run.checklist');
    const f = await frameOf(s);
    expect(f).toContain('Post-recovery checklist · doai-orchestrator · 0/4 signed');
    // Gate from the SUCCESS at T0+30 s: opens at +10 min 30 s, now is T0.
    expect(f).toMatch(/After 10 minutes — opens in 10m30s \(at \d\d:40\)/);
    expect(f).toMatch(/› ?\[ \] \/health answers +PASS/);
    expect(f).toMatch(/\[ \] WebSocket accepts +UNKNOWN/);
    expect(f).toMatch(/\[-\] Latency < 500 ms/);
  });

  it('after a run whose runbook names a follow-up checklist, l opens that one for the run\'s target (issue 12 item 15)', async () => {
    const s = setup(undefined, { followUp: true });
    await recovered(s);
    await press(s.stdin, 'run.checklist');
    const f = await frameOf(s);
    expect(f).toContain('After a restore · doai-orchestrator · 0/1 signed');
    expect(f).not.toContain('Post-recovery checklist');
    expect(s.checklists.getSnapshot().instances.map((i) => [i.checklistId, i.target])).toEqual([['restore-after', 'doai-orchestrator']]);
  });

  it('Space signs (name and time), j/k and arrows move, n adds a note, u undoes — all on disk', async () => {
    const s = setup();
    await recovered(s);
    await press(s.stdin, 'run.checklist');
    await press(s.stdin, 'checklist.sign');
    let f = await frameOf(s);
    expect(f).toMatch(/\[x\] \/health answers +PASS +orion \d\d:\d\d/);
    expect(f).toContain('Signed: /health answers');
    // The cursor moved on to the next item; k goes back, the arrow forward again.
    await press(s.stdin, 'checklist.up', 1);
    await press(s.stdin, 'checklist.down', 0);
    await press(s.stdin, 'checklist.down', 1);
    await press(s.stdin, 'checklist.note');
    expect(await frameOf(s)).toContain('Note for "Nodes reconnecting" — Enter saves, Esc cancels');
    s.stdin.write('queue drains slowly');
    await delay();
    await press(s.stdin, 'prompt.submit');
    f = await frameOf(s);
    expect(f).toContain('Note saved: Nodes reconnecting');
    expect(f).toContain('note: queue drains slowly — orion');
    await press(s.stdin, 'checklist.up');
    await press(s.stdin, 'checklist.up');
    await press(s.stdin, 'checklist.undo');
    f = await frameOf(s);
    expect(f).toContain('Sign-off undone (recorded): /health answers');
    expect(f).toMatch(/\[ \] \/health answers/);
    expect(f).toContain('(undone ×1)');
    const inst = s.checklists.getSnapshot().instances[0]!;
    const lines = readFileSync(join(dir, 'checklists', `${inst.instanceId}.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse(l).type);
    expect(lines).toEqual(['created', 'signed', 'note', 'undone']);
  });

  it('a locked section says when it opens; it opens with the clock', async () => {
    const s = setup();
    await recovered(s);
    await press(s.stdin, 'run.checklist');
    for (let i = 0; i < 3; i++) await press(s.stdin, 'checklist.down');
    await press(s.stdin, 'checklist.sign');
    expect(await frameOf(s)).toMatch(/"After 10 minutes" opens at \d\d:40 \(in 10m30s\), counted from the recovery's success/);
    await s.clock.advance(10 * 60_000 + 30_000);
    await press(s.stdin, 'checklist.sign');
    expect(await frameOf(s)).toMatch(/\[x\] Latency < 500 ms +PASS +orion/);
  });

  it('a failing auto item needs an override with a note: Space refuses, o asks, an empty note is refused', async () => {
    const s = setup([service({ name: 'doai-orchestrator', state: 'DOWN', httpStatus: 503, lastError: 'HTTP 503' })]);
    await recovered(s);
    await press(s.stdin, 'run.checklist');
    expect(await frameOf(s)).toMatch(/\[ \] \/health answers +FAIL/);
    await press(s.stdin, 'checklist.sign');
    expect(await frameOf(s)).toContain('its check is failing or cannot tell — o signs it with an override note');
    await press(s.stdin, 'checklist.override');
    expect(await frameOf(s)).toContain('Override "/health answers" (failing: doai-orchestrator DOWN: HTTP 503) — why?');
    await press(s.stdin, 'prompt.submit');
    expect(await frameOf(s)).toContain('an override needs a note saying why the failing check is accepted');
    s.stdin.write('upstream 503 known, ticket OPS-12');
    await delay();
    await press(s.stdin, 'prompt.submit');
    const f = await frameOf(s);
    expect(f).toMatch(/\[!\] \/health answers +FAIL +orion/);
    expect(s.checklists.getSnapshot().instances[0]!.sections[0]!.items[0]!.signed).toMatchObject({ override: true, note: 'upstream 503 known, ticket OPS-12' });
    // Typed letters went to the field, not to commands (q did not quit, o did not reopen).
    expect(f).not.toContain('quit anyway');
  });

  it('the list shows a checklist in progress first and Enter resumes it at the first open item', async () => {
    const s = setup();
    const id = (s.checklists.open('post-recovery', { target: 'doai-orchestrator', anchorAt: T0 }) as { instanceId: string }).instanceId;
    s.checklists.sign(id, 'health');
    await delay();
    await press(s.stdin, 'checklist.list');
    let f = await frameOf(s);
    expect(f).toMatch(/In progress\n› Post-recovery checklist · doai-orchestrator · 1\/4 signed/);
    expect(f).toContain('Start a checklist');
    await press(s.stdin, 'checklists.open');
    f = await frameOf(s);
    expect(f).toMatch(/\[x\] \/health answers/);
    expect(f).toMatch(/›\[ \] WebSocket accepts/);
  });
});

describe('incident screen', () => {
  it('q backs out one level (prompt text, then the incident screen, then the checklists), and only the dashboard q quits', async () => {
    const s = setup();
    await delay();
    await press(s.stdin, 'incident.show');
    s.stdin.write('queue stuck q'); // q inside a typed title is a letter
    await delay();
    await press(s.stdin, 'prompt.submit');
    let f = await waitForFrame(s.lastFrame, (x) => x.includes('queue stuck q'));
    expect(f).toContain('queue stuck q');
    s.stdin.write('q');
    f = await waitForFrame(s.lastFrame, (x) => /SERVICE +STATE/.test(x));
    expect(s.exits).toEqual([]);
    expect(f).toMatch(/SERVICE +STATE/);
    await press(s.stdin, 'checklist.list');
    await waitForFrame(s.lastFrame, (x) => x.includes('Start a checklist'));
    s.stdin.write('q');
    f = await waitForFrame(s.lastFrame, (x) => /SERVICE +STATE/.test(x));
    expect(s.exits).toEqual([]);
    s.stdin.write('q');
    await waitForFrame(s.lastFrame, () => s.exits.length > 0);
    expect(s.exits).toEqual([0]);
  });

  it('i with no incident asks for a title (empty refused), then shows clocks against the P2 targets and RTO', async () => {
    const s = setup();
    await delay();
    await press(s.stdin, 'incident.show');
    expect(await frameOf(s)).toContain('New incident — what is wrong? Enter opens it, Esc cancels');
    await press(s.stdin, 'prompt.submit');
    expect(await frameOf(s)).toContain('an incident needs a title — type what is wrong and press Enter');
    s.stdin.write('queue stuck on orch');
    await delay();
    await press(s.stdin, 'prompt.submit');
    await s.clock.advance(95 * 60_000);
    // The console's ticker redraws clocks every second; here a harmless key does.
    await press(s.stdin, 'incident.down');
    const f = await frameOf(s);
    expect(f).toMatch(/P2  OPEN · queue stuck on orch · \d{8}-\d{4}-[0-9a-f]{4}/);
    expect(f).toContain('elapsed 1h35m  respond ≤2h: 0s  resolve ≤24h: 1h35m  RTO 2h: 1h35m');
    expect(f).toContain('Escalation 1–2 h: Ask the IT team for support — x shows the matrix');
    expect(f).toContain('Incident opened by hand: queue stuck on orch');
    await press(s.stdin, 'incident.escalation');
    const m = await frameOf(s);
    expect(m).toContain('▶ 1–2 h        Ask the IT team for support');
    expect(m).toContain('Kim — backend developer');
    await press(s.stdin, 'escalation.close');
    await press(s.stdin, 'incident.severity');
    expect(await frameOf(s)).toContain('Severity now P3');
  });

  it('c closes: root cause and prevention typed in the console, the report written and its path shown', async () => {
    const s = setup();
    const res = s.incidents.openManual('orch crash', 'P1');
    expect(res.ok).toBe(true);
    await delay();
    await press(s.stdin, 'incident.show');
    await s.clock.advance(20 * 60_000);
    await press(s.stdin, 'incident.close');
    expect(await frameOf(s)).toMatch(/Close \S+ \(1\/2\): root cause/);
    s.stdin.write('segfault in native ext');
    await delay();
    await press(s.stdin, 'prompt.submit');
    expect(await frameOf(s)).toMatch(/\(2\/2\): prevention items separated by ;/);
    s.stdin.write('pin the lib; core dump alert');
    await delay();
    await press(s.stdin, 'prompt.submit');
    const f = await waitForFrame(s.lastFrame, (x) => x.includes('Incident closed — report written'));
    expect(f).toContain('CLOSED');
    const path = s.incidents.getSnapshot().incidents[0]!.reportPath!;
    expect(existsSync(path)).toBe(true);
    const md = readFileSync(path, 'utf8');
    expect(md).toContain('## Root cause\nsegfault in native ext\n');
    expect(md).toContain('## Prevention\n- [ ] pin the lib\n- [ ] core dump alert\n');
    expect(md).toContain('- Impact duration: 20 min');
    await press(s.stdin, 'incident.close');
    expect(await frameOf(s)).toContain('this incident is not open');
  });
});
