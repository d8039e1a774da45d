// The wall screen (R-UI-2): a big verdict, the services, nodes and alerts when known, the run in
// progress in any console on the machine with its steps and last output lines, and recent runs.
// Read-only by construction: it gets stores to read and nothing to call; its registry has no
// dangerous command, and it has no handler that could reach the fleet.
import { Box, Text, useStdout } from 'ink';
import { useCallback, useMemo, useState, useSyncExternalStore } from 'react';
import type { Clock } from '../../src/core/clock';
import type { Store } from '../../src/core/store';
import type { AlertsSnapshot, FleetSnapshot, HostsSnapshot, Lang, NodesSnapshot, OutputLine, RunView, ServerLinkView } from '../../src/core/views';
import { registryFor, type CommandScreen, type CommandState } from '../../src/commands/registry';
import { t, type MessageKey } from '../../src/i18n/catalog';
import type { FinishedRun, LiveRunsSnapshot, RunOwner } from '../../src/watch/live-runs';
import type { OpenIncidentSnapshot } from '../../src/watch/incident-reader';
import { IncidentClockParts, incidentClocks } from '../incident/incident-screen';
import { alertName } from '../../src/core/alert-name';
import { overallStatus, type Overall, type OverallStatus } from '../../src/watch/status';
import { CommandsContext, useCommands, type CommandHandlers, type CommandsContextValue } from '../shared/use-commands';
import { Footer } from '../shared/footer';
import { HelpScreen } from '../shared/help';
import { MessageBar, type BarMessage } from '../shared/message-bar';
import { displayWidth, fit, sanitizeLine, truncate } from '../shared/text';
import { formatClock, formatDuration } from '../shared/format';
import { ServicesPane, sortWorstFirst } from '../dashboard/services-pane';
import { sourceWarning } from '../dashboard/nodes-pane';
import { STEP_ICONS, runStateLabel, stepDuration } from '../run/run-screen';
import { watchLayout } from './layout';
import { BackupsLine, backupsLineRows, backupsLineText } from './backups-line';
import { incidentBadgeWidth, incidentHeadLines } from './incident-head';

export interface LiveRunsView extends Store<LiveRunsSnapshot> {
  getOutput(runId: string, max: number): OutputLine[];
}

export interface WatchAppProps {
  fleet: Store<FleetSnapshot>;
  live: LiveRunsView;
  nodes?: Store<NodesSnapshot>;
  alerts?: Store<AlertsSnapshot>;
  /** Hosts with their backup freshness (attached: the server's); absent = not read by this wall. */
  hosts?: Store<HostsSnapshot>;
  /** Backups are configured (so "not read here" is worth saying when `hosts` is absent). */
  backupsConfigured?: boolean;
  /** The open incident (read from the incident files) and its clocks. */
  incident?: Store<OpenIncidentSnapshot>;
  /** The config's RTO target, for the incident's RTO clock. */
  rtoMin?: number;
  /** Coalesced "something changed" signal (1–5 s): the only thing that schedules a frame. */
  frames: Store<number>;
  lang: Lang;
  configPath: string;
  clock?: Pick<Clock, 'now'>;
  /** The link to the console server; absent = standalone. */
  link?: Store<ServerLinkView>;
  width?: number;
  height?: number;
  onExit(code: number): void;
}

const BANNER: Record<OverallStatus, { key: MessageKey; icon: string; bg: string }> = {
  UP: { key: 'watch.status.up', icon: '●', bg: 'green' },
  DEGRADED: { key: 'watch.status.degraded', icon: '▲', bg: 'yellow' },
  DOWN: { key: 'watch.status.down', icon: '✖', bg: 'red' },
  UNKNOWN: { key: 'watch.status.unknown', icon: '…', bg: 'gray' },
  NONE: { key: 'watch.status.none', icon: '·', bg: 'gray' },
};

const OUTCOME_COLORS: Record<string, string> = { success: 'green', failed: 'red', cancelled: 'yellow', interrupted: 'yellow', running: 'cyan' };

const hhmm = (d: Date) => formatClock(d).slice(0, 5);

function useFrames(store: Store<number>): number {
  const subscribe = useCallback((cb: () => void) => store.subscribe(cb), [store]);
  const get = useCallback(() => store.getSnapshot(), [store]);
  return useSyncExternalStore(subscribe, get, get);
}

export function WatchApp(props: WatchAppProps) {
  const { lang, configPath, onExit } = props;
  const { stdout } = useStdout();
  const width = Math.max(20, props.width ?? stdout.columns ?? 80);
  const height = Math.max(8, props.height ?? stdout.rows ?? 24);
  useFrames(props.frames);
  // Read at frame time: the coalesced signal above decides when, these say what.
  const fleet = props.fleet.getSnapshot();
  const live = props.live.getSnapshot();
  const nodes = props.nodes?.getSnapshot();
  const alerts = props.alerts?.getSnapshot();
  const incident = props.incident?.getSnapshot();
  const hostsSnap = props.hosts?.getSnapshot();
  const backupsView = hostsSnap ? ({ kind: 'read', hosts: hostsSnap } as const) : props.backupsConfigured ? ({ kind: 'not-read' } as const) : ({ kind: 'none' } as const);
  const link = props.link?.getSnapshot() ?? { state: 'standalone' };
  const now = props.clock ? props.clock.now() : new Date();

  const registry = useMemo(() => registryFor({ readOnly: true }), []);
  const [help, setHelp] = useState(false);
  const [message, setMessage] = useState<BarMessage | undefined>();
  const [shownIndex, setShownIndex] = useState(0);
  const flash = useCallback((text: string | undefined) => setMessage(text === undefined ? undefined : { text, tone: 'info' }), []);
  const context = useMemo<CommandsContextValue>(() => ({ registry, lang, flash }), [registry, lang, flash]);

  const running = live.runs.filter((r) => r.state === 'running');
  const shown: RunView | undefined = running.length ? running[shownIndex % running.length] : undefined;

  const handlers: CommandHandlers = {
    help: () => setHelp(true),
    'help.close': () => setHelp(false),
    quit: () => onExit(0),
    'watch.next': () => setShownIndex((i) => i + 1),
  };
  const state: CommandState = { readOnly: true, demo: false, hasRecommendation: false, hasRuns: running.length > 0 };
  const screen: CommandScreen = help ? 'help' : 'watch';

  const services = sortWorstFirst(fleet.services);
  const bodyHeight = height - 1 - 3; // root rows-1; header, message bar, footer
  const layout = watchLayout({
    height: bodyHeight,
    services: services.length,
    liveSteps: shown ? shown.steps.length : null,
    recent: live.finished.length,
    nodes: nodes !== undefined,
    alerts: alerts !== undefined,
    backups: backupsLineText(backupsView, lang) !== undefined,
    backupsRows: backupsLineRows(backupsView, lang, width).length,
    incident: incident?.incident !== undefined,
    incidentHead: incident?.incident ? incidentHeadLines(incident, width, lang).length : 0,
  });
  const overall = overallStatus(fleet.services);

  let body;
  if (help) {
    // The console's help, from the same registry: descriptions wrap rather than being cut.
    body = <HelpScreen of="watch" state={state} width={width} height={bodyHeight} />;
  } else {
    body = (
      <Box flexDirection="column" width={width} height={bodyHeight} overflow="hidden">
        <Banner overall={overall} lines={layout.banner} lang={lang} width={width} />
        {layout.serviceRows > 0 || services.length === 0 ? (
          <ServicesPane services={services} selected={-1} rows={layout.serviceRows} width={width} now={now} lang={lang} configPath={configPath} />
        ) : null}
        {layout.nodesLine && nodes ? <NodesLine nodes={nodes} now={now} lang={lang} width={width} /> : null}
        {layout.alertsLine && alerts ? <AlertsLine alerts={alerts} byServer={link.state !== 'standalone'} lang={lang} width={width} /> : null}
        {layout.backupsLine ? <BackupsLine view={backupsView} lang={lang} width={width} rows={layout.backupsRows} /> : null}
        {layout.incidentRows > 0 && incident?.incident ? (
          <IncidentLines snap={incident} rtoMin={props.rtoMin ?? 30} rows={layout.incidentRows} now={now} lang={lang} width={width} />
        ) : null}
        <LivePane
          run={shown}
          owner={shown ? live.owners[shown.runId] : undefined}
          more={Math.max(0, running.length - 1)}
          output={shown && layout.live ? props.live.getOutput(shown.runId, layout.live.logRows) : []}
          layout={layout.live}
          now={now}
          lang={lang}
          width={width}
        />
        {layout.recentRows > 0 ? <RecentPane runs={live.finished} rows={layout.recentRows} lang={lang} width={width} /> : null}
      </Box>
    );
  }

  return (
    <CommandsContext.Provider value={context}>
      <KeyInput screen={screen} handlers={handlers} state={state} />
      <Box flexDirection="column" width={width} height={height - 1} overflow="hidden">
        <Box width={width} height={1} overflow="hidden">
          <Text wrap="truncate">
            <Text bold>{t(lang, 'app.name')}</Text>
            {' · '}
            <Text bold inverse>{` ${t(lang, 'watch.title')} `}</Text>
            {/* The time before what may be cut at the end: on 80 columns the config's name went first, then the clock. */}
            {` · ${hhmm(now)}`}
            <LinkLabel link={link} lang={lang} />
            {`${fleet.timeScale > 1 ? ` · ${t(lang, 'header.demo', { scale: fleet.timeScale })}` : ''} · ${configPath.split('/').pop() ?? ''}`}
          </Text>
        </Box>
        <Box height={bodyHeight} width={width} overflow="hidden" flexDirection="column">
          {body}
        </Box>
        <MessageBar message={message} width={width} />
        <Box width={width} height={1} overflow="hidden">
          <Footer screen={screen} state={state} width={width} />
        </Box>
      </Box>
    </CommandsContext.Provider>
  );
}

function KeyInput({ screen, handlers, state }: { screen: CommandScreen; handlers: CommandHandlers; state: CommandState }) {
  useCommands(screen, handlers, state);
  return null;
}

/** "2 of 3 services UP · 1 not probed yet": counts only what has been probed as UP or not. */
export function bannerCounts(o: Overall, lang: Lang): string {
  if (o.total === 0) return t(lang, 'watch.status.noServices');
  if (o.pending === 0 && o.probed === 0) return t(lang, 'watch.status.noProbes');
  const monitored = o.total - o.unmonitored;
  const parts = [o.probed === 0 ? t(lang, 'watch.status.waiting', { total: monitored }) : t(lang, 'watch.status.counts', { up: o.up, total: monitored })];
  if (o.pending && o.probed) parts.push(t(lang, 'watch.status.pending', { n: o.pending }));
  if (o.unmonitored) parts.push(t(lang, 'watch.status.unmonitored', { n: o.unmonitored }));
  return parts.join(' · ');
}

function Banner({ overall, lines, lang, width }: { overall: Overall; lines: number; lang: Lang; width: number }) {
  if (lines <= 0) return null;
  const b = BANNER[overall.status];
  const text = `${b.icon}  ${t(lang, b.key)}  —  ${bannerCounts(overall, lang)}`;
  const w = displayWidth(text);
  const left = Math.max(0, Math.floor((width - w) / 2));
  const line = truncate(' '.repeat(left) + text, width);
  const padded = line + ' '.repeat(Math.max(0, width - displayWidth(line)));
  const blank = ' '.repeat(width);
  return (
    <Box flexDirection="column" width={width} height={lines} flexShrink={0}>
      {lines >= 3 ? <Text backgroundColor={b.bg}>{blank}</Text> : null}
      <Text bold backgroundColor={b.bg} color="black" wrap="truncate">
        {padded}
      </Text>
      {lines >= 3 ? <Text backgroundColor={b.bg}>{blank}</Text> : null}
    </Box>
  );
}

function NodesLine({ nodes, now, lang, width }: { nodes: NodesSnapshot; now: Date; lang: Lang; width: number }) {
  // Before any source has answered there are no counts: "0/0 online" would read as all offline.
  if (!nodes.sources.some((s) => s.lastOkAt !== null)) {
    const failing = nodes.sources.find((s) => s.error !== undefined);
    return (
      <Text wrap="truncate" dimColor={!failing} color={failing ? 'yellow' : undefined}>
        {truncate(`${t(lang, 'pane.nodes')}: ${t(lang, 'nodes.waiting')}${failing ? ` · ${t(lang, 'nodes.sourceErrorNoList', { source: failing.name, error: failing.error! })}` : ''}`, width)}
      </Text>
    );
  }
  // A source that fails now: its counts are old news. Say so as the dashboard does, not "40/40 online".
  const warnings = nodes.sources.map((s) => sourceWarning(s, now, lang)).filter((w): w is string => w !== undefined);
  if (warnings.length) {
    return (
      <Text wrap="truncate" color="yellow">
        {truncate(`${t(lang, 'pane.nodes')}: ${warnings.join(' · ')}`, width)}
      </Text>
    );
  }
  const pct = nodes.onlineRatio === undefined ? '—' : String(Math.round(nodes.onlineRatio * 100));
  const pending = nodes.sources.filter((s) => s.lastFetchAt === null).length;
  const more = pending ? ` · ${t(lang, 'nodes.pendingSources', { n: pending, total: nodes.sources.length })}` : '';
  return (
    <Text wrap="truncate" color={nodes.offline > 0 ? 'yellow' : undefined}>
      {truncate(t(lang, 'watch.nodes', { online: nodes.online, total: nodes.total, pct, offline: nodes.offline }) + more, width)}
    </Text>
  );
}

/** Where the facts come from: `attached to <socket>`, `standalone`, or the server coming back. */
export function LinkLabel({ link, lang }: { link: ServerLinkView; lang: Lang }) {
  switch (link.state) {
    case 'attached': {
      const st = link.sharedState;
      return (
        <Text>
          {` · ${t(lang, 'header.attached', { socket: link.socket ?? '' })}`}
          {st && !st.reachable ? (
            <Text color="yellow" bold>{` · ${t(lang, 'header.stateUnreachable')}`}</Text>
          ) : st ? (
            ` · ${st.leading ? t(lang, 'header.leaderHere') : st.leader ? t(lang, 'header.leader', { leader: st.leader }) : t(lang, 'header.noLeader')}`
          ) : null}
        </Text>
      );
    }
    case 'reconnecting':
      return <Text color="yellow" bold>{` · ${t(lang, 'header.reconnecting')}`}</Text>;
    case 'lost':
      return <Text color="red" bold>{` · ${t(lang, 'header.lost', { reason: link.reason ?? '' })}`}</Text>;
    default:
      return <Text dimColor>{` · ${t(lang, 'header.standalone')}`}</Text>;
  }
}

function AlertsLine({ alerts, byServer, lang, width }: { alerts: AlertsSnapshot; byServer: boolean; lang: Lang; width: number }) {
  const firing = alerts.alerts.filter((a) => a.state === 'firing');
  // Nothing evaluates the rules (no console runs, no server attached): an empty list proves nothing,
  // and what is listed is what was recorded when one last ran.
  const unevaluated = !byServer && alerts.evaluators === 0;
  const list = firing.length ? `${t(lang, 'watch.alerts', { n: firing.length })}: ${firing.map((a) => `${alertName(a)} ${a.subject} (${hhmm(a.since)})`).join(', ')}` : '';
  // Planned work (R-MON-3): a service in maintenance is said, so a quiet board is not misread.
  const now = Date.now();
  const planned = (alerts.mutes ?? [])
    .filter((m) => m.what === 'maintenance' && m.from.getTime() <= now)
    .map((m) => `${lang === 'ko' ? '점검 중' : 'MAINTENANCE'} ${m.service ?? m.match} → ${hhmm(m.until)} (${m.reason})`)
    .join(', ');
  const text =
    (unevaluated
      ? t(lang, 'watch.alerts.notEvaluated') + (list ? ` · ${t(lang, 'watch.alerts.lastRecorded')} ${list}` : '')
      : list || (alerts.problems.length ? alerts.problems[0]! : t(lang, byServer ? 'watch.alerts.byServer' : 'watch.alerts.none'))) + (planned ? ` · ${planned}` : '');
  return (
    <Text wrap="truncate" color={unevaluated ? 'yellow' : firing.length ? 'red' : undefined} dimColor={!firing.length && !unevaluated}>
      {truncate(text, width)}
    </Text>
  );
}

const SEVERITY_BG: Record<string, string> = { P0: 'red', P1: 'yellow', P2: 'cyan', P3: 'gray' };

/** The open incident: severity and what/since (wrapped, screens/watch/incident-head.ts), then its clocks against their targets (colour turns as each nears). */
function IncidentLines({ snap, rtoMin, rows, now, lang, width }: { snap: OpenIncidentSnapshot; rtoMin: number; rows: number; now: Date; lang: Lang; width: number }) {
  const i = snap.incident!;
  const c = incidentClocks(i, rtoMin, now);
  const head = incidentHeadLines(snap, width, lang, rows - 1);
  const indent = ' '.repeat(incidentBadgeWidth(i.severity));
  return (
    <Box flexDirection="column" width={width} flexShrink={0}>
      {head.map((line, n) => (
        <Text key={n} wrap="truncate">
          {n === 0 ? <Text bold color="black" backgroundColor={SEVERITY_BG[i.severity]}>{` ${i.severity} `}</Text> : null}
          <Text bold>{`${n === 0 ? ' ' : indent}${line}`}</Text>
        </Text>
      ))}
      <Text wrap="truncate">
        {rows < 2 ? <Text bold color="black" backgroundColor={SEVERITY_BG[i.severity]}>{` ${i.severity} `}</Text> : null}
        {rows < 2 ? ' ' : ''}
        <IncidentClockParts clocks={c} lang={lang} />
      </Text>
    </Box>
  );
}

function LivePane({ run, owner, more, output, layout, now, lang, width }: {
  run?: RunView;
  owner?: RunOwner;
  more: number;
  output: OutputLine[];
  layout: { stepRows: number; logRows: number } | null;
  now: Date;
  lang: Lang;
  width: number;
}) {
  if (!run || !layout) {
    return (
      <Text dimColor wrap="truncate">
        {truncate(t(lang, 'watch.live.none'), width)}
      </Text>
    );
  }
  const title =
    t(lang, 'watch.live.title', {
      level: run.level,
      operator: owner?.operator ?? run.operator,
      since: hhmm(owner?.since ?? run.startedAt),
      runbook: run.title[lang],
      target: run.target,
    }) + (more > 0 ? ` · ${t(lang, 'watch.live.more', { n: more })}` : '');
  const focus = Math.max(0, run.steps.findIndex((s) => s.state === 'running'));
  const start = run.steps.length <= layout.stepRows ? 0 : Math.max(0, Math.min(focus - Math.floor(layout.stepRows / 2), run.steps.length - layout.stepRows));
  const steps = run.steps.slice(start, start + layout.stepRows);
  const titleWidth = Math.min(Math.max(10, ...run.steps.map((s) => displayWidth(s.title[lang]))), Math.max(10, width - 12 - 20));
  const rule = truncate(`── ${t(lang, 'run.log')} `, width);
  return (
    <Box flexDirection="column" width={width} flexShrink={0}>
      <Text bold color="cyan" wrap="truncate">
        {truncate(title, width)}
      </Text>
      {steps.map((s) => (
        <Text key={s.id} wrap="truncate">
          {STEP_ICONS[s.state]} <Text bold={s.state === 'running'} dimColor={s.state === 'pending'}>{fit(s.title[lang], titleWidth)}</Text>{' '}
          {fit(stepDuration(s, now), 7, 'right')}
          {s.detail ? <Text dimColor={s.state !== 'failed'} color={s.state === 'failed' ? 'red' : undefined}>{`  ${s.detail}`}</Text> : null}
        </Text>
      ))}
      {layout.logRows > 0 ? (
        <Text dimColor wrap="truncate">
          {rule + '─'.repeat(Math.max(0, width - displayWidth(rule)))}
        </Text>
      ) : null}
      {layout.logRows > 0 ? (
        <Box flexDirection="column" height={layout.logRows} overflow="hidden">
          {output.length === 0 ? (
            <Text dimColor>{t(lang, 'run.logEmpty')}</Text>
          ) : (
            output.map((o, i) => (
              <Text key={i} wrap="truncate" color={o.stream === 'stderr' ? 'red' : undefined}>
                {truncate(`${o.stream === 'stderr' ? '! ' : '  '}${sanitizeLine(o.line)}`, width)}
              </Text>
            ))
          )}
        </Box>
      ) : null}
    </Box>
  );
}

function RecentPane({ runs, rows, lang, width }: { runs: FinishedRun[]; rows: number; lang: Lang; width: number }) {
  const list = runs.slice(0, Math.max(0, rows));
  return (
    <Box flexDirection="column" width={width} flexShrink={0}>
      <Text bold dimColor wrap="truncate">
        {truncate(`── ${t(lang, 'watch.recent.title')} `, width)}
      </Text>
      {list.length === 0 ? (
        <Text dimColor wrap="truncate">
          {t(lang, 'watch.recent.none')}
        </Text>
      ) : (
        list.map((r) => {
          const took = r.finishedAt ? formatDuration(r.finishedAt.getTime() - r.startedAt.getTime()) : '—';
          const label = runStateLabel(lang, r.outcome);
          const head = `${hhmm(r.startedAt)}  ${fit(r.level, 3)} ${r.dryRun ? '(dry) ' : ''}${r.runbook} · ${r.target} · ${r.operator}`;
          const tail = `  ${fit(label, 11)} ${fit(took, 7, 'right')}`;
          const headWidth = Math.max(0, width - displayWidth(tail));
          return (
            <Text key={r.runId} wrap="truncate">
              {fit(head, headWidth)}
              <Text color={OUTCOME_COLORS[r.outcome]}>{tail}</Text>
            </Text>
          );
        })
      )}
    </Box>
  );
}
