// The wall screen's open incident at 80 columns (R-UI-2, R-UI-5): which incident, since when and
// how severe are all on screen, in English and Korean. The title is not repeated by the target and
// level it already names, a head wider than the wall wraps under itself (never cut), and only a
// title too long for every row it may take is shortened — the time stays.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { WatchApp, type LiveRunsView } from '../../screens/watch/watch-app';
import { incidentHeadLines, incidentWhat } from '../../screens/watch/incident-head';
import { formatClock } from '../../screens/shared/format';
import { displayWidth } from '../../screens/shared/text';
import { BatchedStore } from '../../src/core/store';
import type { IncidentView, Lang } from '../../src/core/views';
import type { LiveRunsSnapshot } from '../../src/watch/live-runs';
import type { OpenIncidentSnapshot } from '../../src/watch/incident-reader';
import { MemoryFleetStore, service, T0, waitForFrame } from './fixtures';

afterEach(() => cleanup());

const opened = new Date(T0.getTime() - 10 * 60_000);
const since = formatClock(opened).slice(0, 5);

function incident(extra: Partial<IncidentView> = {}): IncidentView {
  return {
    id: '20260104-0620-ab12',
    // As the incident store titles one a runbook opened: "<target>: <runbook title>".
    title: 'doai-orchestrator: L2 Service Reset',
    slug: 'doai-orchestrator-l2-service-reset',
    severity: 'P1',
    state: 'open',
    target: 'doai-orchestrator',
    openedAt: opened,
    openedBy: 'orion',
    respondedAt: opened,
    level: 'L2',
    runIds: ['r1'],
    timeline: [],
    ...extra,
  };
}

function wall(snap: OpenIncidentSnapshot, lang: Lang, width: number, height = 24) {
  const fleet = new MemoryFleetStore([service({ name: 'doai-orchestrator', state: 'DOWN', consecutiveFailures: 3 }), service({ name: 'caddy' })]);
  const liveSnap: LiveRunsSnapshot = { runs: [], outputVersion: 0, finished: [], owners: {}, polledAt: T0 };
  const live: LiveRunsView = Object.assign(new BatchedStore<LiveRunsSnapshot>(liveSnap), { getOutput: () => [] });
  const frames = new BatchedStore<number>(0);
  const incidentStore = new BatchedStore<OpenIncidentSnapshot>(snap);
  return render(
    <WatchApp fleet={fleet} live={live} incident={incidentStore} rtoMin={30} frames={frames} lang={lang} configPath="/x/console.yaml" clock={{ now: () => T0 }} width={width} height={height} onExit={() => {}} />,
  );
}

const rows = (frame: string) => frame.split('\n');

describe('the wall screen\'s incident line at 80 columns', () => {
  it('names the incident once, says since when, shows the severity; nothing wider than 80 (en, ko)', async () => {
    for (const [lang, head] of [
      ['en', `Incident open: doai-orchestrator: L2 Service Reset, since ${since}`],
      ['ko', `진행 중인 장애: doai-orchestrator: L2 Service Reset, ${since}부터`],
    ] as const) {
      const r = wall({ incident: incident(), more: 0, problems: [] }, lang, 80);
      const f = await waitForFrame(r.lastFrame, (x) => x.includes('doai-orchestrator: L2'));
      const line = rows(f).find((l) => l.includes('L2 Service Reset'))!;
      expect(line.trim()).toBe(`P1  ${head}`);
      // The clocks under it, whole.
      expect(f).toMatch(lang === 'en' ? /elapsed 10m00s {2}respond ≤30m: 0s {2}resolve ≤4h: 10m00s {2}RTO 30m: 10m00s/ : /경과 10m00s {2}대응 ≤30m: 0s {2}해결 ≤4h: 10m00s {2}RTO 30m: 10m00s/);
      for (const l of rows(f)) expect(displayWidth(l)).toBeLessThanOrEqual(80);
      r.unmount();
    }
  });

  it('a head wider than the wall wraps under itself, indented past the badge; the time and the count whole', async () => {
    const long = incident({ title: 'Queue stuck on the orchestrator after the 06:00 deploy, jobs piling up in rack-b', target: 'doai-orchestrator', level: undefined, severity: 'P0' });
    const f = await waitForFrame(wall({ incident: long, more: 2, problems: [] }, 'en', 80).lastFrame, (x) => x.includes('Queue stuck'));
    const lines = rows(f);
    const first = lines.findIndex((l) => l.includes('Queue stuck'));
    const head = [lines[first]!, lines[first + 1]!];
    expect(head[0]).toMatch(/^ P0 {2}Incident open: Queue stuck/);
    expect(head[1]).toMatch(/^ {5}\S/);
    const text = head.map((l) => l.trim()).join(' ').replace(/^P0 +/, '');
    expect(text).toBe(`Incident open: Queue stuck on the orchestrator after the 06:00 deploy, jobs piling up in rack-b — doai-orchestrator, since ${since} · +2 more open`);
    expect(lines[first + 2]).toMatch(/elapsed 10m/);
    for (const l of lines) expect(displayWidth(l)).toBeLessThanOrEqual(80);
  });

  it('a title too long for every row shortens the title only: since when stays', () => {
    const huge = incident({ title: `Everything ${'very '.repeat(60)}slow`, target: 'doai-orchestrator' });
    const lines = incidentHeadLines({ incident: huge, more: 0, problems: [] }, 80, 'en');
    expect(lines.length).toBeLessThanOrEqual(3);
    expect(lines.join(' ')).toMatch(new RegExp(`…, since ${since}$`));
    for (const l of lines) expect(displayWidth(l)).toBeLessThanOrEqual(80 - 5);
  });

  it('on a wide wall the same head sits on one line', async () => {
    const f = await waitForFrame(wall({ incident: incident(), more: 0, problems: [] }, 'en', 200, 40).lastFrame, (x) => x.includes('L2 Service Reset'));
    expect(f).toMatch(new RegExp(` P1  Incident open: doai-orchestrator: L2 Service Reset, since ${since}\\n.*elapsed 10m`));
  });

  it('target and level are said only where the title does not already say them', () => {
    expect(incidentWhat({ title: 'doai-orchestrator: L2 Service Reset', target: 'doai-orchestrator', level: 'L2' })).toBe('doai-orchestrator: L2 Service Reset');
    expect(incidentWhat({ title: 'Queue stuck', target: 'doai-orchestrator', level: 'L1' })).toBe('Queue stuck — doai-orchestrator L1');
    // A name inside another word does not count: "caddy-2" is not "caddy".
    expect(incidentWhat({ title: 'caddy-2: L1 Soft Reset', target: 'caddy', level: 'L1' })).toBe('caddy-2: L1 Soft Reset — caddy');
    expect(incidentWhat({ title: 'HostDown demo-db' })).toBe('HostDown demo-db');
  });
});
