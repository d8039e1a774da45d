// The incident store (R-INC-1..5). Incidents open themselves when a runbook's first step runs (or
// attach to the open one for that target), or by hand with a title: a form cancelled or an approval
// refused before anything ran opens nothing and changes no severity. An incident is resolved when
// its target has stayed UP for the settle time after the last recovery; a relapse unresolves it. The timeline assembles itself from the
// engine's RunEvents, the fleet's service transitions, alerts and checklist sign-offs. Every change
// is saved atomically under <stateDir>/incidents, merged with what another console saved.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock';
import { BatchedStore } from '../core/store';
import type {
  AlertEvent,
  ChecklistResult,
  IncidentContact,
  IncidentControl,
  IncidentsSnapshot,
  IncidentsStore,
  IncidentView,
  Lang,
  Localized,
  ServiceState,
  ServiceTransition,
  Severity,
  TimelineEntry,
} from '../core/views';
import type { RunEvent, RunEventListener } from '../runbook/events';
import { readAlertLines } from './alerts-file';
import { mergeTimelines, slugify, type IncidentRecord } from './files';
import { fileIncidentRecords, type IncidentRecords } from './records';
import { writeReport } from './report';
import { isSeverity, SEVERITIES, severityForLevel } from './targets';
import type { ChecklistEvent } from '../checklist/store';
import { ActingOperator } from '../core/acting-operator';
import { SingleFlight } from '../core/single-flight';

export interface IncidentStoreOptions {
  /** <stateDir>/incidents: one JSON per incident. */
  dir: string;
  /** paths.incidentsDir: the markdown reports. */
  reportsDir: string;
  snapshotsDir?: string;
  /** <stateDir>/alerts.jsonl, read for the timeline when present. */
  alertsFile?: string;
  clock: Pick<Clock, 'now'> & Partial<Pick<Clock, 'setTimeout'>>;
  /** Clock ms the target must stay UP after a recovery before the incident counts as resolved (0 = at once). */
  settleMs?: number;
  operator: string;
  rtoMin: number;
  contacts: IncidentContact[];
  /** Report language. */
  lang: Lang;
  /** Titles for the timeline: a runbook's title and a step's. */
  describe?: {
    runbook(id: string): Localized | undefined;
    step(runbookId: string, stepId: string): Localized | undefined;
  };
  /** A service's host, to match a box reset to the incident of a service on that box. */
  hostOf?: (service: string) => string | undefined;
  /** Real ms between re-reads of the directory (another console's incidents); 0 = never. */
  pollMs?: number;
  /** Where the records live: files in `dir` unless given (the shared database: src/state/pg-incidents.ts). */
  records?: IncidentRecords;
  batchMs?: number;
}

interface RunInfo {
  incidentId: string;
  target: string;
  runbook: string;
  level: string;
  operator: string;
  title: Localized;
}

type RunStarted = Extract<RunEvent, { type: 'run.started' }>;

/** A run whose approval is still pending: nothing has run, so no incident exists for it yet. */
interface PendingRun {
  started: RunStarted;
  /** Approval lines, added to the incident once a step runs (or to an open one if none does). */
  entries: TimelineEntry[];
}

const L = (en: string, ko: string): Localized => ({ en, ko });
const fail = (en: string, ko: string): { ok: false; error: Localized } => ({ ok: false, error: L(en, ko) });
const RECENT_TRANSITIONS = 500;
/** How far back a bad transition still counts as this incident's start. */
const LOOKBACK_MS = 2 * 3_600_000;
const SEVERITY_RANK: Record<Severity, number> = { P0: 0, P1: 1, P2: 2, P3: 3 };
/** See scheduleSettle: how much later a box resolves an incident another box is settling. */
const SHARED_SETTLE_GRACE_MS = 5000;

function stamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}`;
}

function clean(text: string, max = 300): string {
  return text.replace(/[\x00-\x1f\x7f\x9b]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, max);
}

export class IncidentStore extends BatchedStore<IncidentsSnapshot> implements IncidentsStore, IncidentControl {
  private incidents = new Map<string, IncidentRecord>();
  private readonly runs = new Map<string, RunInfo>();
  private readonly pending = new Map<string, PendingRun>();
  /** Each service's last state seen in a transition. */
  private readonly states = new Map<string, ServiceState>();
  /** Settle timers by incident id. */
  private readonly settling = new Map<string, () => void>();
  private readonly transitions: ServiceTransition[] = [];
  private readonly problems: string[] = [];
  private stops: (() => void)[] = [];
  private polling: (() => void) | undefined;
  private readonly records: IncidentRecords;
  /** Incidents changed here whose save failed (the store was away): saved again on the next reload. */
  private readonly unsaved = new Set<string>();
  private offRecords: (() => void) | undefined;

  private readonly acting = new ActingOperator(() => this.opts.operator);
  /** Who the current intent is for: the operator a server proved (withOperator), else this console's. */
  private get actor(): string {
    return this.acting.current;
  }

  /** Runs one intent (sign, note, open, close…) as `operator`: a server acting for a console it proved. */
  withOperator<T>(operator: string, fn: () => T): T {
    return this.acting.run(operator, fn);
  }

  constructor(private opts: IncidentStoreOptions) {
    super({ incidents: [], rtoMin: opts.rtoMin, contacts: opts.contacts }, opts.batchMs ?? 0);
    this.records = opts.records ?? fileIncidentRecords(opts.dir);
    this.reload();
  }

  start(): void {
    const pollMs = this.opts.pollMs ?? 5000;
    // Its own flag: the engine and the fleet are attached (their listeners in `stops`) before
    // start(), and keying on `stops` being empty meant the re-read never started.
    if (pollMs > 0 && !this.polling) {
      const t = setInterval(() => this.reloadInBackground(), pollMs);
      t.unref?.();
      this.polling = () => clearInterval(t);
    }
    // Shared records: another box's change arrives as a notification and is read at once.
    this.offRecords ??= this.records.onChange?.(() => this.reloadInBackground());
  }

  /** Counts saves and synchronous reads: a background read asked before one of them is not applied. */
  private edits = 0;
  /**
   * The asynchronous read of the records: one at a time; asked again meanwhile, once more when it
   * ends (unless stopped). A read started before a save or a synchronous read here ended is
   * dropped, not applied (it may predate that change), and read again.
   */
  private readonly reading = new SingleFlight(
    (again) => {
      const asOf = this.edits;
      return this.records.readAllAsync!().then(
        (read) => {
          if (asOf === this.edits) this.apply(read);
          else again();
        },
        (err: unknown) => {
          const p = (err as Error).message;
          if (!this.problems.includes(p)) this.problems.push(p);
        },
      );
    },
    { mayFollow: () => !this.stopped },
  );

  /**
   * The periodic and notified re-read: without blocking when the records can be read asynchronously
   * (the database: a network that drops packets would hold the server's event loop for the timeout).
   * A read asked before a save or a synchronous read here is dropped and asked again.
   */
  private reloadInBackground(): void {
    if (!this.records.readAllAsync) return this.reload();
    void this.reading.request();
  }

  private stopped = false;

  stop(): void {
    this.stopped = true;
    this.offRecords?.();
    this.offRecords = undefined;
    this.polling?.();
    this.polling = undefined;
    for (const s of this.stops) s();
    this.stops = [];
    for (const cancel of this.settling.values()) cancel();
    this.settling.clear();
  }

  /** The report's language follows the console's (--lang). */
  setLang(lang: Lang): void {
    this.opts.lang = lang;
  }

  getProblems(): string[] {
    return [...this.problems];
  }

  /** Re-reads the directory: incidents another console opened or changed. */
  reload(): void {
    this.edits++;
    let read: { incidents: IncidentRecord[]; problems: string[] };
    try {
      read = this.records.readAll();
    } catch (err) {
      // Read-only view: what this store last read stays on screen.
      const p = (err as Error).message;
      if (!this.problems.includes(p)) this.problems.push(p);
      return;
    }
    this.apply(read);
  }

  /** Takes in what the records hold (a read of all of them). */
  private apply(read: { incidents: IncidentRecord[]; problems: string[] }): void {
    const { incidents, problems } = read;
    for (const p of problems) if (!this.problems.includes(p)) this.problems.push(p);
    const next = new Map<string, IncidentRecord>();
    for (const disk of incidents) {
      const mine = this.incidents.get(disk.id);
      // Shared records already hold every change this store saved: they are the truth, except
      // for what could not be saved yet.
      next.set(disk.id, mine && (!this.records.shared || this.unsaved.has(disk.id)) ? this.merge(mine, disk) : disk);
    }
    for (const [id, mine] of this.incidents) if (!next.has(id)) next.set(id, mine);
    this.incidents = next;
    for (const rec of next.values()) {
      if (rec.recoveredAt && !rec.resolvedAt && rec.state === 'open' && !this.settling.has(rec.id)) this.scheduleSettle(rec, this.records.shared ? SHARED_SETTLE_GRACE_MS : 0);
    }
    // What could not be saved while the store was away is saved now (bounded: one try each).
    for (const id of [...this.unsaved]) {
      const rec = this.incidents.get(id);
      if (rec) this.save(rec);
      else this.unsaved.delete(id);
    }
    this.publish();
  }

  // --- wiring ----------------------------------------------------------------------------------

  attachEngine(engine: { on(listener: RunEventListener): () => void }): () => void {
    const off = engine.on((e) => this.onRunEvent(e));
    this.stops.push(off);
    return off;
  }

  attachFleet(fleet: { onTransition(l: (t: ServiceTransition) => void): () => void }): () => void {
    const off = fleet.onTransition((t) => this.onTransition(t));
    this.stops.push(off);
    return off;
  }

  attachChecklists(checklists: { onEvent(l: (e: ChecklistEvent) => void): () => void }): () => void {
    const off = checklists.onEvent((e) => this.onChecklistEvent(e));
    this.stops.push(off);
    return off;
  }

  attachAlerts(alerts: { onEvent(l: (e: AlertEvent) => void): () => void }): () => void {
    const off = alerts.onEvent((e) => this.onAlertEvent(e));
    this.stops.push(off);
    return off;
  }

  // --- reading ---------------------------------------------------------------------------------

  get(id: string): IncidentRecord | undefined {
    return this.incidents.get(id);
  }

  incidentOfRun(runId: string): IncidentView | undefined {
    const id = this.runs.get(runId)?.incidentId ?? [...this.incidents.values()].find((i) => i.runIds.includes(runId))?.id;
    return id ? this.incidents.get(id) : undefined;
  }

  /** The open incident about this service or host (or a box it lives on / a service on it). */
  openFor(target: string | undefined): IncidentRecord | undefined {
    const open = [...this.incidents.values()].filter((i) => i.state === 'open').sort((a, b) => b.openedAt.getTime() - a.openedAt.getTime());
    if (!target) return open[0];
    const host = this.opts.hostOf?.(target);
    return (
      open.find((i) => i.target === target) ??
      open.find((i) => i.target !== undefined && (i.target === host || this.opts.hostOf?.(i.target) === target)) ??
      // A hand-opened incident with no target yet takes the first recovery run.
      open.find((i) => i.target === undefined)
    );
  }

  private relates(i: IncidentRecord, subject: string): boolean {
    if (!i.target) return false;
    if (i.target === subject) return true;
    const host = this.opts.hostOf?.(subject);
    return host === i.target || this.opts.hostOf?.(i.target) === subject;
  }

  /** The highest failed level per target in the open incidents (the recommendation's run history). */
  failedRecoveries(): { target: string; level: 'L1' | 'L2' | 'L3' }[] {
    const best = new Map<string, 'L1' | 'L2' | 'L3'>();
    for (const rec of this.incidents.values()) {
      if (rec.state !== 'open') continue;
      for (const f of rec.failedRuns ?? []) {
        if (f.level !== 'L1' && f.level !== 'L2' && f.level !== 'L3') continue;
        const had = best.get(f.target);
        if (!had || had < f.level) best.set(f.target, f.level);
      }
    }
    return [...best].map(([target, level]) => ({ target, level }));
  }

  // --- intents ---------------------------------------------------------------------------------

  openManual(title: string, severity: Severity = 'P2'): { ok: true; id: string } | { ok: false; error: Localized } {
    const t = clean(title, 120);
    const away = this.records.refuseWrites?.();
    if (away) return { ok: false, error: away };
    if (!t) return fail('an incident needs a title — type what is wrong and press Enter (Esc cancels)', '인시던트 제목이 필요합니다 — 무엇이 문제인지 입력하고 Enter (취소는 Esc)');
    if (!isSeverity(severity)) return fail(`severity must be one of ${SEVERITIES.join(', ')}`, `심각도는 ${SEVERITIES.join(', ')} 중 하나`);
    const now = this.opts.clock.now();
    const rec = this.create(t, now, { severity, severityChosen: true });
    rec.respondedAt = now;
    this.add(rec, { at: now, kind: 'incident', text: L(`Incident opened by hand: ${t}`, `인시던트 수동 등록: ${t}`), actor: this.actor });
    const saved = this.save(rec);
    if (!saved.ok) return saved;
    return { ok: true, id: rec.id };
  }

  /**
   * An alert from outside (Alertmanager) opens an incident when none is open (R-MON-2): its
   * timeline then gets the alert's own fired / resolved entries. The open one is used otherwise.
   */
  openForAlert(title: string, severity: Severity, source: string): { id: string; opened: boolean } {
    const open = [...this.incidents.values()].find((i) => i.state === 'open');
    if (open) return { id: open.id, opened: false };
    const now = this.opts.clock.now();
    const t = clean(title, 120) || 'alert';
    const rec = this.create(t, now, { severity });
    this.add(rec, { at: now, kind: 'incident', text: L(`Incident opened by an alert from ${source}: ${t}`, `${source} 알림으로 인시던트 등록: ${t}`), actor: source });
    this.save(rec);
    return { id: rec.id, opened: true };
  }

  /**
   * R-MON-2: every alert from `source` this incident was opened for has resolved — it resolves
   * after the settle time, as after a recovery; `alertsBack` (one fired again) undoes that.
   */
  alertsCleared(id: string, source: string): void {
    const rec = this.incidents.get(id);
    if (!rec || rec.state !== 'open' || rec.resolvedAt || rec.recoveredAt) return;
    const now = this.opts.clock.now();
    this.add(rec, { at: now, kind: 'incident', text: L(`Every alert from ${source} resolved`, `${source} 알림 모두 해소`), actor: source });
    this.startSettle(rec, now);
    this.save(rec);
  }

  alertsBack(id: string): void {
    const rec = this.incidents.get(id);
    if (!rec || rec.state !== 'open' || (!rec.recoveredAt && !rec.resolvedAt)) return;
    this.unsettle(rec);
    this.save(rec);
  }

  /** Acknowledgements, silences and maintenance (R-MON-3): a line in the related open incident, or the only one. */
  noteFromAlerts(subject: string | undefined, text: string, actor: string): void {
    const open = [...this.incidents.values()].filter((i) => i.state === 'open');
    const related = subject ? open.filter((i) => this.relates(i, subject)) : [];
    const targets = related.length ? related : open.length === 1 ? open : [];
    const now = this.opts.clock.now();
    for (const rec of targets) {
      this.add(rec, { at: now, kind: 'alert', text: L(clean(text, 300), clean(text, 300)), actor });
      this.save(rec);
    }
  }

  setSeverity(id: string, severity: Severity): ChecklistResult {
    const rec = this.incidents.get(id);
    if (!rec) return fail(`no incident ${id}`, `인시던트 ${id} 없음`);
    if (!isSeverity(severity)) return fail(`severity must be one of ${SEVERITIES.join(', ')}`, `심각도는 ${SEVERITIES.join(', ')} 중 하나`);
    if (rec.severity === severity) return { ok: true };
    const away = this.records.refuseWrites?.();
    if (away) return { ok: false, error: away };
    const now = this.opts.clock.now();
    this.add(rec, { at: now, kind: 'note', text: L(`Severity ${rec.severity} → ${severity}`, `심각도 ${rec.severity} → ${severity}`), actor: this.actor });
    rec.severity = severity;
    rec.severityChosen = true;
    return this.save(rec);
  }

  close(id: string, answers: { rootCause?: string; prevention?: string[] }): { ok: true; reportPath: string } | { ok: false; error: Localized } {
    const away = this.records.refuseWrites?.();
    if (away) return { ok: false, error: away };
    this.reload();
    const rec = this.incidents.get(id);
    if (!rec) return fail(`no incident ${id}`, `인시던트 ${id} 없음`);
    if (rec.state === 'closed') {
      return fail(`already closed at ${rec.closedAt?.toISOString() ?? '?'}; \`doai-console report ${id}\` rewrites its report`, `이미 종료됨; \`doai-console report ${id}\`로 보고서를 다시 쓸 수 있습니다`);
    }
    const now = this.opts.clock.now();
    const root = answers.rootCause !== undefined ? clean(answers.rootCause, 2000) : '';
    const prevention = (answers.prevention ?? []).map((p) => clean(p, 300)).filter(Boolean);
    const before = { ...rec, timeline: [...rec.timeline] };
    rec.state = 'closed';
    rec.closedAt = now;
    // Closed while settling: the impact ended when the target came back, not at the close.
    rec.resolvedAt ??= rec.recoveredAt ?? now;
    this.settling.get(id)?.();
    this.settling.delete(id);
    if (root) rec.rootCause = root;
    if (prevention.length) rec.prevention = prevention;
    this.mergeAlertsFile(rec);
    this.add(rec, { at: now, kind: 'incident', text: L('Incident closed', '인시던트 종료'), actor: this.actor });
    let path: string;
    try {
      path = writeReport(this.opts.reportsDir, rec, { lang: this.opts.lang, snapshotsDir: this.opts.snapshotsDir, now }).path;
    } catch (err) {
      // Still open: nothing claims a report that is not on disk.
      this.incidents.set(id, before);
      this.publish();
      const msg = (err as Error).message;
      return fail(`the report could not be written in ${this.opts.reportsDir} (${msg}); the incident stays open — fix the folder (paths.incidents_dir) and close again`, `${this.opts.reportsDir}에 보고서를 쓸 수 없음 (${msg}); 인시던트는 열린 상태로 유지 — 폴더(paths.incidents_dir)를 고치고 다시 종료하세요`);
    }
    rec.reportPath = path;
    const saved = this.save(rec);
    if (!saved.ok) return saved;
    return { ok: true, reportPath: path };
  }

  /** Rewrites an incident's report from what is stored (the `report` command). */
  regenerateReport(id: string): { path: string; markdown: string } {
    const rec = this.incidents.get(id);
    if (!rec) throw new Error(`no incident ${id}`);
    this.mergeAlertsFile(rec);
    const res = writeReport(this.opts.reportsDir, rec, { lang: this.opts.lang, snapshotsDir: this.opts.snapshotsDir, now: this.opts.clock.now() });
    if (rec.reportPath !== res.path) {
      rec.reportPath = res.path;
    }
    this.save(rec);
    return res;
  }

  // --- listeners -------------------------------------------------------------------------------

  private onRunEvent(e: RunEvent): void {
    if (e.type === 'run.started') {
      if (!e.dryRun) this.pending.set(e.runId, { started: e, entries: [] });
      return;
    }
    const pending = this.pending.get(e.runId);
    if (pending) {
      this.onPendingEvent(pending, e);
      return;
    }
    const info = this.runs.get(e.runId);
    if (!info) return;
    const rec = this.incidents.get(info.incidentId);
    if (!rec) return;
    switch (e.type) {
      case 'approval.granted':
        this.add(rec, { at: e.at, kind: 'approval', text: L(`${info.level} approval step ${e.step} granted (${e.how})`, `${info.level} ${e.step}단계 승인 (${e.how})`), actor: e.approver });
        break;
      case 'approval.rejected':
        this.add(rec, { at: e.at, kind: 'approval', text: L(`${info.level} approval step ${e.step} refused: ${clean(e.reason)}`, `${info.level} ${e.step}단계 승인 거부: ${clean(e.reason)}`), actor: e.approver ?? info.operator });
        break;
      case 'step.finished': {
        if (e.outcome === 'skipped') return;
        const title = this.opts.describe?.step(info.runbook, e.stepId) ?? L(e.stepId, e.stepId);
        const msg = e.message ? `: ${clean(e.message, 160)}` : '';
        this.add(rec, { at: e.at, kind: 'step', text: L(`${info.level} ${title.en} — ${e.outcome}${msg}`, `${info.level} ${title.ko} — ${e.outcome}${msg}`), actor: info.operator });
        break;
      }
      case 'run.finished': {
        const word = e.outcome.toUpperCase();
        const msg = e.message ? ` (${clean(e.message, 160)})` : '';
        this.add(rec, { at: e.at, kind: 'run', text: L(`${info.title.en} ${word}${msg}`, `${info.title.ko} ${word}${msg}`), actor: info.operator });
        this.runs.delete(e.runId);
        // A recovery that failed (escalateTo: not a refused approval, not a cancel) counts for the
        // recommendation until one succeeds.
        if (e.outcome === 'success') rec.failedRuns = undefined;
        else if (e.outcome === 'failed' && e.escalateTo) rec.failedRuns = [...(rec.failedRuns ?? []), { target: info.target, level: info.level }];
        // The run verified the target healthy: it resolves once it stays UP for the settle time.
        if (e.outcome === 'success' && !this.targetDown(rec)) this.startSettle(rec, e.at);
        break;
      }
      default:
        return;
    }
    this.save(rec);
  }

  /** Before the first step: approvals are remembered; a run that ends here opens nothing. */
  private onPendingEvent(p: PendingRun, e: Exclude<RunEvent, RunStarted>): void {
    const level = p.started.level;
    if (e.type === 'approval.granted') {
      p.entries.push({ at: e.at, kind: 'approval', text: L(`${level} approval step ${e.step} granted (${e.how})`, `${level} ${e.step}단계 승인 (${e.how})`), actor: e.approver });
    } else if (e.type === 'approval.rejected') {
      p.entries.push({ at: e.at, kind: 'approval', text: L(`${level} approval step ${e.step} refused: ${clean(e.reason)}`, `${level} ${e.step}단계 승인 거부: ${clean(e.reason)}`), actor: e.approver ?? p.started.operator });
    } else if (e.type === 'step.started') {
      this.pending.delete(e.runId);
      this.onRunStarted(p.started, p.entries);
    } else if (e.type === 'run.finished') {
      this.pending.delete(e.runId);
      // Nothing ran: an incident already open for the target notes it; none is opened, no severity moves.
      const rec = this.openFor(p.started.target);
      if (!rec || rec.target === undefined) return;
      const title = this.opts.describe?.runbook(p.started.runbook) ?? L(p.started.runbook, p.started.runbook);
      const why = e.message ? ` (${clean(e.message, 160)})` : '';
      for (const entry of p.entries) this.add(rec, entry);
      this.add(rec, { at: e.at, kind: 'run', text: L(`${title.en} ${e.outcome.toUpperCase()} before any step ran${why}`, `${title.ko} ${e.outcome.toUpperCase()} — 실행된 단계 없음${why}`), actor: p.started.operator });
      this.save(rec);
    }
  }

  private onRunStarted(e: RunStarted, approvals: TimelineEntry[] = []): void {
    this.reload();
    const title = this.opts.describe?.runbook(e.runbook) ?? L(e.runbook, e.runbook);
    let rec = this.openFor(e.target);
    if (!rec) {
      const impactStart = this.impactStart(e.target, e.at);
      rec = this.create(`${e.target}: ${title.en}`, impactStart, { severity: severityForLevel(e.level), target: e.target });
      rec.openedBy = e.operator;
      for (const t of this.transitions) if (t.at >= impactStart && this.relatesTarget(e.target, t.service)) this.add(rec, this.transitionEntry(t));
      // Alerts that fired before anyone acted belong to this incident too.
      this.mergeAlertsFile(rec);
      this.add(rec, { at: e.at, kind: 'incident', text: L(`Incident opened by ${title.en} on ${e.target}`, `${e.target}의 ${title.ko} 시작으로 인시던트 등록`), actor: e.operator });
    }
    rec.target ??= e.target;
    rec.respondedAt ??= e.at;
    // A new recovery means the impact is back (or never ended).
    this.unsettle(rec);
    if (!rec.level || e.level > rec.level) rec.level = e.level;
    if (!rec.severityChosen) {
      const s = severityForLevel(rec.level);
      if (SEVERITY_RANK[s] < SEVERITY_RANK[rec.severity]) rec.severity = s;
    }
    if (!rec.runIds.includes(e.runId)) rec.runIds.push(e.runId);
    this.runs.set(e.runId, { incidentId: rec.id, target: e.target, runbook: e.runbook, level: e.level, operator: e.operator, title });
    this.add(rec, { at: e.at, kind: 'run', text: L(`${title.en} started on ${e.target}`, `${e.target}에 ${title.ko} 시작`), actor: e.operator });
    for (const entry of approvals) this.add(rec, entry);
    this.save(rec);
  }

  // --- resolution ------------------------------------------------------------------------------

  /** Is any service this incident is about known to be not UP right now? */
  private targetDown(rec: IncidentRecord): boolean {
    for (const [service, state] of this.states) if (state !== 'UP' && state !== 'UNKNOWN' && this.relates(rec, service)) return true;
    return false;
  }

  private startSettle(rec: IncidentRecord, at: Date): void {
    rec.recoveredAt = at;
    rec.resolvedAt = undefined;
    this.scheduleSettle(rec);
  }

  /**
   * `graceMs`: an incident another box is settling (read from the shared records) resolves here
   * only that much later, so the box that started the settle writes the resolution once.
   */
  private scheduleSettle(rec: IncidentRecord, graceMs = 0): void {
    this.settling.get(rec.id)?.();
    const since = rec.recoveredAt!;
    const settleMs = this.opts.settleMs ?? 0;
    const elapsed = this.opts.clock.now().getTime() - since.getTime();
    const settle = () => {
      this.settling.delete(rec.id);
      const cur = this.incidents.get(rec.id);
      if (!cur || cur.state !== 'open' || cur.recoveredAt?.getTime() !== since.getTime() || cur.resolvedAt) return;
      cur.resolvedAt = since;
      // Resolved: what failed before no longer moves the next recommendation up.
      cur.failedRuns = undefined;
      const min = Math.round(settleMs / 60_000);
      const span = settleMs % 60_000 === 0 ? L(`${min} min`, `${min}분`) : L(`${Math.round(settleMs / 1000)} s`, `${Math.round(settleMs / 1000)}초`);
      this.add(cur, { at: this.opts.clock.now(), kind: 'incident', text: L(`Resolved: ${cur.target ?? 'target'} UP for ${span.en} since the recovery`, `해결: 복구 후 ${cur.target ?? '대상'} ${span.ko} 동안 정상`), actor: 'health' });
      this.save(cur);
    };
    if ((settleMs <= 0 && graceMs <= 0) || !this.opts.clock.setTimeout) {
      settle();
      return;
    }
    this.settling.set(rec.id, this.opts.clock.setTimeout(settle, Math.max(0, settleMs - Math.max(0, elapsed)) + graceMs));
  }

  /** The impact is back (or a new recovery started): not resolved, no settle running. */
  private unsettle(rec: IncidentRecord): void {
    this.settling.get(rec.id)?.();
    this.settling.delete(rec.id);
    rec.recoveredAt = undefined;
    rec.resolvedAt = undefined;
  }

  private relatesTarget(target: string, service: string): boolean {
    return service === target || this.opts.hostOf?.(service) === target;
  }

  /** The start of the impact: the oldest bad transition of the target that was not followed by UP. */
  private impactStart(target: string, at: Date): Date {
    let start: Date | undefined;
    for (const t of this.transitions) {
      if (!this.relatesTarget(target, t.service) || at.getTime() - t.at.getTime() > LOOKBACK_MS) continue;
      if (t.to === 'UP') start = undefined;
      else if (!start && t.from === 'UP') start = t.at;
      else if (!start && t.to !== 'UNKNOWN') start = t.at;
    }
    return start ?? at;
  }

  private transitionEntry(t: ServiceTransition): TimelineEntry {
    const why = t.error ? ` (${clean(t.error, 120)})` : '';
    return { at: t.at, kind: 'transition', text: L(`${t.service} ${t.from} → ${t.to}${why}`, `${t.service} ${t.from} → ${t.to}${why}`), actor: 'health' };
  }

  private onTransition(t: ServiceTransition): void {
    this.transitions.push(t);
    if (this.transitions.length > RECENT_TRANSITIONS) this.transitions.shift();
    this.states.set(t.service, t.to);
    for (const rec of this.incidents.values()) {
      if (rec.state !== 'open' || !this.relates(rec, t.service)) continue;
      this.add(rec, this.transitionEntry(t));
      const running = [...this.runs.values()].some((r) => r.incidentId === rec.id);
      if (t.to !== 'UP' && t.to !== 'UNKNOWN' && (rec.recoveredAt || rec.resolvedAt)) {
        // A relapse: the same incident is open again and its impact goes on.
        this.unsettle(rec);
        this.add(rec, { at: t.at, kind: 'incident', text: L(`Relapse: ${t.service} ${t.to} after the recovery — not resolved`, `재발: 복구 후 ${t.service} ${t.to} — 미해결`), actor: 'health' });
      } else if (t.to === 'UP' && !running && !rec.recoveredAt && !rec.resolvedAt && rec.runIds.length && !this.targetDown(rec)) {
        // Back UP after a relapse (or after a run that ended before the probe saw it): settle again.
        this.startSettle(rec, t.at);
      }
      this.save(rec);
    }
  }

  private onChecklistEvent(e: ChecklistEvent): void {
    const rec = (e.incidentId ? this.incidents.get(e.incidentId) : undefined) ?? (e.target ? this.openFor(e.target) : undefined);
    if (!rec || (rec.state !== 'open' && e.incidentId !== rec.id)) return;
    const item = e.item?.text;
    let text: Localized;
    if (e.type === 'opened') text = L(`Checklist "${e.title.en}" opened`, `체크리스트 "${e.title.ko}" 시작`);
    else if (e.type === 'signed' && e.override) text = L(`Signed with override: ${item!.en} — ${e.note}`, `예외 서명: ${item!.ko} — ${e.note}`);
    else if (e.type === 'signed') text = L(`Signed: ${item!.en}`, `서명: ${item!.ko}`);
    else if (e.type === 'undone') text = L(`Sign-off undone: ${item!.en}`, `서명 취소: ${item!.ko}`);
    else text = L(`Note on "${item!.en}": ${e.note}`, `"${item!.ko}" 메모: ${e.note}`);
    this.add(rec, { at: e.at, kind: e.type === 'note' ? 'note' : 'signoff', text, actor: e.operator });
    if (e.type === 'signed') rec.respondedAt ??= e.at;
    this.save(rec);
  }

  private onAlertEvent(e: AlertEvent): void {
    if (e.type !== 'alert.fired' && e.type !== 'alert.resolved') return;
    const open = [...this.incidents.values()].filter((i) => i.state === 'open');
    const related = open.filter((i) => this.relates(i, e.alert.subject));
    const targets = related.length ? related : open.length === 1 ? open : [];
    const word = e.type === 'alert.fired' ? 'fired' : 'resolved';
    for (const rec of targets) {
      this.add(rec, { at: e.at, kind: 'alert', text: L(`Alert ${e.alert.rule} ${word}: ${clean(e.alert.message, 160)}`, `알림 ${e.alert.rule} ${word === 'fired' ? '발생' : '해소'}: ${clean(e.alert.message, 160)}`), actor: 'alerts' });
      this.save(rec);
    }
  }

  private mergeAlertsFile(rec: IncidentRecord): void {
    if (!this.opts.alertsFile) return;
    const end = (rec.closedAt ?? this.opts.clock.now()).getTime();
    const entries: TimelineEntry[] = [];
    for (const a of readAlertLines(this.opts.alertsFile)) {
      if (a.at.getTime() < rec.openedAt.getTime() || a.at.getTime() > end) continue;
      if (a.subject && rec.target && !this.relates(rec, a.subject)) continue;
      const msg = a.message ? `: ${clean(a.message, 160)}` : '';
      const state = /^fir/.test(a.state) ? 'fired' : /^resol/.test(a.state) ? 'resolved' : a.state;
      entries.push({ at: a.at, kind: 'alert', text: L(`Alert ${a.rule} ${state}${msg}`, `알림 ${a.rule} ${state === 'fired' ? '발생' : state === 'resolved' ? '해소' : state}${msg}`), actor: 'alerts' });
    }
    // Alerts seen live are already there (same time, rule and state): only add what is missing.
    const have = new Set(rec.timeline.filter((t) => t.kind === 'alert').map((t) => alertKey(t)));
    rec.timeline = mergeTimelines(rec.timeline, entries.filter((x) => !have.has(alertKey(x))));
  }

  // --- records ---------------------------------------------------------------------------------

  private create(title: string, openedAt: Date, o: { severity: Severity; severityChosen?: boolean; target?: string }): IncidentRecord {
    const random = randomBytes(2).toString('hex');
    const id = this.records.newId?.(stamp(openedAt), random) ?? `${stamp(openedAt)}-${random}`;
    const rec: IncidentRecord = {
      id,
      title,
      slug: slugify(title),
      severity: o.severity,
      state: 'open',
      openedAt,
      openedBy: this.actor,
      runIds: [],
      timeline: [],
      ...(o.target ? { target: o.target } : {}),
      ...(o.severityChosen ? { severityChosen: true } : {}),
    };
    this.incidents.set(id, rec);
    return rec;
  }

  private add(rec: IncidentRecord, entry: TimelineEntry): void {
    rec.timeline = mergeTimelines(rec.timeline, [entry]);
  }

  /** What another console saved is kept: timelines and runs are unioned, the later close wins. */
  private merge(mine: IncidentRecord, disk: IncidentRecord): IncidentRecord {
    return {
      ...disk,
      ...mine,
      timeline: mergeTimelines(mine.timeline, disk.timeline),
      runIds: [...new Set([...disk.runIds, ...mine.runIds])],
      ...(disk.state === 'closed' && mine.state !== 'closed'
        ? { state: 'closed' as const, closedAt: disk.closedAt, resolvedAt: disk.resolvedAt ?? mine.resolvedAt, reportPath: disk.reportPath, rootCause: disk.rootCause, prevention: disk.prevention }
        : {}),
    };
  }

  private save(rec: IncidentRecord, depth = 0): ChecklistResult {
    this.edits++;
    const r = this.records.save(rec, (mine, stored) => this.merge(mine, stored));
    if (!r.ok && 'joined' in r) return depth < 3 ? this.join(rec, r.joined, depth) : fail(`incident ${rec.id} not saved: the open incident of ${rec.target ?? '?'} kept changing`, `인시던트 ${rec.id} 저장 실패: ${rec.target ?? '?'}의 열린 인시던트가 계속 바뀜`);
    if (!r.ok) {
      // Kept here (and on screen) and saved again when the store answers.
      this.unsaved.add(rec.id);
      this.publish();
      return { ok: false, error: r.error };
    }
    this.unsaved.delete(rec.id);
    this.incidents.set(rec.id, r.saved);
    this.publish();
    return { ok: true };
  }

  /**
   * Another box opened an incident for this target while this one was opening its own: the new
   * one is dropped and what it holds (its runs, their timeline) goes into the open one, as if
   * this box had found it open.
   */
  private join(rec: IncidentRecord, open: IncidentRecord, depth: number): ChecklistResult {
    this.incidents.delete(rec.id);
    this.unsaved.delete(rec.id);
    this.settling.get(rec.id)?.();
    this.settling.delete(rec.id);
    for (const info of this.runs.values()) if (info.incidentId === rec.id) info.incidentId = open.id;
    const running = rec.runIds.length > 0;
    const joined: IncidentRecord = {
      ...open,
      timeline: mergeTimelines(open.timeline, rec.timeline.filter((e) => !(e.kind === 'incident' && /^Incident opened by /.test(e.text.en)))),
      runIds: [...new Set([...open.runIds, ...rec.runIds])],
      respondedAt: open.respondedAt ?? rec.respondedAt,
    };
    if (rec.level && (!joined.level || rec.level > joined.level)) joined.level = rec.level;
    if (!joined.severityChosen && SEVERITY_RANK[rec.severity] < SEVERITY_RANK[joined.severity]) joined.severity = rec.severity;
    if (running) this.unsettle(joined);
    this.incidents.set(open.id, joined);
    return this.save(joined, depth + 1);
  }

  private publish(): void {
    const all = [...this.incidents.values()].map((r): IncidentView => {
      const { severityChosen: _chosen, recoveredAt: _recovered, failedRuns: _failed, ...view } = r;
      return { ...view, timeline: [...view.timeline], runIds: [...view.runIds] };
    });
    const open = all.filter((i) => i.state === 'open').sort((a, b) => b.openedAt.getTime() - a.openedAt.getTime());
    const closed = all.filter((i) => i.state === 'closed').sort((a, b) => b.openedAt.getTime() - a.openedAt.getTime()).slice(0, 200);
    this.set({ incidents: [...open, ...closed], rtoMin: this.opts.rtoMin, contacts: this.opts.contacts });
  }
}

function alertKey(e: TimelineEntry): string {
  const m = /^Alert (\S+) (\S+?):?(?: |$)/.exec(e.text.en);
  return `${e.at.getTime()}|${m?.[1] ?? e.text.en}|${m?.[2] ?? ''}`;
}

export function createIncidentStore(opts: IncidentStoreOptions): IncidentStore {
  return new IncidentStore(opts);
}
