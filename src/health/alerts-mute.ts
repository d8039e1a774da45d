// Silences and maintenance windows (R-MON-3): what keeps an alert from paging while it is known
// or planned. A silence matches alerts by rule and/or subject for a duration, with a reason; a
// maintenance window mutes every alert about one service (from the config, or started from the
// console). Both end by themselves at `until` — on the injected clock, to the millisecond — and
// can be removed before. Every change is audited (emergency.log, `ALERTS:` lines) and put in the
// open incident's timeline; the set is kept in <stateDir>/mutes.json so a restart keeps it.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Clock } from '../core/clock';
import { BatchedStore } from '../core/store';
import { writeFileAtomic } from '../core/atomic-file';

export const MAX_MUTE_MINUTES = 7 * 24 * 60;
export const DEFAULT_MAINTENANCE_MINUTES = 30;

export interface SilenceView {
  id: string;
  rule?: string;
  subject?: string;
  reason: string;
  by: string;
  createdAt: Date;
  until: Date;
}

export interface MaintenanceView {
  id: string;
  service: string;
  reason: string;
  by: string;
  from: Date;
  until: Date;
  /** Declared in the config (maintenance:), not removable from the console. */
  fromConfig?: boolean;
}

export interface MutesSnapshot {
  /** In force now, soonest to end first. */
  silences: SilenceView[];
  /** In force now (and config windows still to come, with from > now), soonest first. */
  maintenance: MaintenanceView[];
}

export interface MutedBy {
  what: 'silence' | 'maintenance';
  id: string;
  until: Date;
  reason: string;
}

export type MuteResult = { ok: true; id: string; until: Date } | { ok: false; error: string };

export interface ConfigWindow {
  service: string;
  from: Date;
  until: Date;
  reason: string;
}

/** A silence or window as the shared store has it: its age and time left by the store's own clock. */
export interface SharedMuteRow {
  id: string;
  kind: 'silence' | 'maintenance';
  rule?: string;
  subject?: string;
  service?: string;
  reason: string;
  by: string;
  ageMs: number;
  leftMs: number;
}

/**
 * Where silences and console-started windows live when several boxes share state (the database
 * under state.backend postgres): each call is synchronous and throws, in words, when it cannot.
 */
export interface MuteShare {
  readonly where: string;
  add(row: { id: string; kind: 'silence' | 'maintenance'; rule?: string; subject?: string; service?: string; reason: string; by: string; minutes: number }): { leftMs: number };
  /** False when it is not (or no longer) in force. */
  end(id: string, by: string): boolean;
  /** What is in force now. */
  list(): SharedMuteRow[];
  /** The same, without blocking the caller: the periodic re-read uses it when there is one. */
  listAsync?(): Promise<SharedMuteRow[]>;
}

/** How often a shared store is read again (a silence set on another box, one that was removed there). */
export const SHARED_MUTES_POLL_MS = 2000;

export interface MuteStoreOptions {
  clock: Clock;
  /** Services that exist (a maintenance window for anything else is refused). */
  services: readonly string[];
  windows?: readonly ConfigWindow[];
  /** <stateDir>/mutes.json; none in tests that do not care. */
  file?: string;
  /** Writes one audit line (emergency.log `ALERTS: …`); throws when it cannot. */
  audit?(message: string): void;
  /** Puts a line in the open incident's timeline (related to `subject` when given). */
  timeline?(subject: string | undefined, text: string, actor: string): void;
  /** Kept there instead of the file (which is then only this box's copy, for the wall screen). */
  shared?: MuteShare;
}

const clean = (s: string, max: number) =>
  s
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ')
    .trim()
    .slice(0, max);

function minutesText(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  const m = Math.round(ms / 60_000);
  return m < 120 ? `${m} min` : m % 60 === 0 ? `${m / 60} h` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export class MuteStore extends BatchedStore<MutesSnapshot> {
  private silences: SilenceView[] = [];
  private windows: MaintenanceView[] = [];
  private timer?: () => void;
  private readonly changeListeners = new Set<() => void>();
  private problem?: string;
  private sharedProblem?: string;
  private poll?: () => void;
  private stopped = false;
  /** Counts changes and synchronous reads of the shared store: an asynchronous read older than one is dropped. */
  private edits = 0;

  constructor(private readonly opts: MuteStoreOptions) {
    super({ silences: [], maintenance: [] });
    for (const w of opts.windows ?? []) {
      this.windows.push({ id: `cfg-${w.service}-${w.from.getTime().toString(36)}`, service: w.service, reason: w.reason, by: 'config', from: w.from, until: w.until, fromConfig: true });
    }
    if (opts.shared) this.schedulePoll(0);
    else this.load();
    this.refresh();
  }

  private schedulePoll(ms: number): void {
    this.poll?.();
    if (this.stopped) return;
    this.poll = this.opts.clock.setTimeout(() => {
      this.poll = undefined;
      const shared = this.opts.shared;
      if (!shared?.listAsync) {
        if (this.pull()) this.changed();
        this.schedulePoll(SHARED_MUTES_POLL_MS);
        return;
      }
      // Read without blocking (a database cut off by the network would hold the event loop for
      // the query timeout on every re-read); the next re-read is scheduled once this one is answered.
      const asOf = this.edits;
      void shared.listAsync().then(
        (rows) => {
          if (this.stopped) return;
          // A change made here, or a fresher read, since it was asked: this answer may predate it.
          if (asOf === this.edits) {
            const had = this.sharedProblem;
            this.sharedProblem = undefined;
            if (this.take(rows)) this.changed();
            else if (had !== undefined) this.publishOnly();
          }
          this.schedulePoll(SHARED_MUTES_POLL_MS);
        },
        (err: unknown) => {
          if (this.stopped) return;
          this.readFailed(shared, err);
          this.schedulePoll(SHARED_MUTES_POLL_MS);
        },
      );
    }, ms);
  }

  private readFailed(shared: MuteShare, err: unknown): void {
    const was = this.sharedProblem;
    this.sharedProblem = `cannot read silences from ${shared.where}: ${err instanceof Error ? err.message : String(err)} — the last known ones hold`;
    if (was !== this.sharedProblem) this.publishOnly();
  }

  /**
   * Reads the shared store: what another box set or removed is taken in. Returns whether what is
   * in force changed. When the store cannot be read, the last known set holds (said as a problem).
   */
  private pull(): boolean {
    const shared = this.opts.shared;
    if (!shared) return false;
    this.edits++;
    let rows: SharedMuteRow[];
    try {
      rows = shared.list();
    } catch (err) {
      this.readFailed(shared, err);
      return false;
    }
    const had = this.sharedProblem;
    this.sharedProblem = undefined;
    const changed = this.take(rows);
    if (!changed && had !== undefined) this.publishOnly();
    return changed;
  }

  /** Takes in what the shared store has in force; returns whether that changed. */
  private take(rows: SharedMuteRow[]): boolean {
    const now = this.opts.clock.now().getTime();
    // Times are the database's: "ends in N ms" on this box's clock. One already known keeps its end (no jitter).
    const known = new Map<string, SilenceView | MaintenanceView>([...this.silences, ...this.windows.filter((w) => !w.fromConfig)].map((x) => [x.id, x]));
    const silences: SilenceView[] = [];
    const windows: MaintenanceView[] = this.windows.filter((w) => w.fromConfig);
    for (const r of rows) {
      const k = known.get(r.id);
      const until = k && Math.abs(k.until.getTime() - (now + r.leftMs)) < 1000 ? k.until : new Date(now + r.leftMs);
      if (r.kind === 'silence') {
        const createdAt = k && 'createdAt' in k ? k.createdAt : new Date(now - r.ageMs);
        silences.push({ id: r.id, ...(r.rule !== undefined ? { rule: r.rule } : {}), ...(r.subject !== undefined ? { subject: r.subject } : {}), reason: r.reason, by: r.by, createdAt, until });
      } else if (r.service !== undefined) {
        const from = k && 'from' in k ? k.from : new Date(now - r.ageMs);
        windows.push({ id: r.id, service: r.service, reason: r.reason, by: r.by, from, until });
      }
    }
    const key = (xs: { id: string; until: Date }[]) => xs.map((x) => `${x.id}@${x.until.getTime()}`).sort().join(',');
    const changed = key(silences) !== key(this.silences) || key(windows) !== key(this.windows);
    this.silences = silences;
    this.windows = windows;
    return changed;
  }

  private publishOnly(): void {
    this.set({ ...this.getSnapshot() });
  }

  /** Called when what is muted changes: a silence or window starts, ends or is removed. */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** A failure to keep mutes.json, in words (shown with the alerts' problems). */
  fileProblem(): string | undefined {
    return this.sharedProblem ?? this.problem;
  }

  stop(): void {
    this.stopped = true;
    this.timer?.();
    this.timer = undefined;
    this.poll?.();
    this.poll = undefined;
  }

  /** Written to the shared store first (when there is one): what it refuses is not done. */
  private share(row: Parameters<MuteShare['add']>[0]): { ok: true; leftMs: number } | { ok: false; error: string } {
    this.edits++;
    if (!this.opts.shared) return { ok: true, leftMs: row.minutes * 60_000 };
    try {
      return { ok: true, leftMs: this.opts.shared.add(row).leftMs };
    } catch (err) {
      return { ok: false, error: `not done: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  /** Ends it in the shared store; a string says why not. */
  private unshare(id: string, by: string, what: string): string | undefined {
    this.edits++;
    if (!this.opts.shared) return undefined;
    try {
      return this.opts.shared.end(id, by) ? undefined : `no ${what} ${id} in force`;
    } catch (err) {
      return `not done: ${err instanceof Error ? err.message : String(err)}`;
    }
  }

  silence(match: { rule?: string; subject?: string }, minutes: number, reason: string, by: string): MuteResult {
    const rule = match.rule ? clean(match.rule, 200) : undefined;
    const subject = match.subject ? clean(match.subject, 200) : undefined;
    if (!rule && !subject) return { ok: false, error: 'a silence needs a rule or a subject to match — select an alert and press s' };
    const bad = this.checkDuration(minutes) ?? this.checkReason(reason);
    if (bad) return { ok: false, error: bad };
    const now = this.opts.clock.now();
    const id = `s-${randomBytes(this.opts.shared ? 6 : 3).toString('hex')}`;
    const shared = this.share({ id, kind: 'silence', ...(rule ? { rule } : {}), ...(subject ? { subject } : {}), reason: clean(reason, 200), by, minutes });
    if (!shared.ok) return shared;
    const s: SilenceView = { id, ...(rule ? { rule } : {}), ...(subject ? { subject } : {}), reason: clean(reason, 200), by, createdAt: now, until: new Date(now.getTime() + shared.leftMs) };
    const what = `${[rule && `rule=${rule}`, subject && `subject=${subject}`].filter(Boolean).join(' ')}`;
    const audited = this.audit(`SILENCE ${s.id} ${what} for ${minutesText(minutes * 60_000)} until ${s.until.toISOString()} by ${by} - ${s.reason}`);
    if (audited) {
      this.unshare(id, by, 'silence');
      return { ok: false, error: audited };
    }
    this.silences.push(s);
    this.opts.timeline?.(subject, `Silenced ${what} for ${minutesText(minutes * 60_000)} by ${by}: ${s.reason}`, by);
    this.changed();
    return { ok: true, id: s.id, until: s.until };
  }

  unsilence(id: string, by: string): MuteResult {
    if (this.pull()) this.changed();
    const s = this.silences.find((x) => x.id === id && x.until.getTime() > this.opts.clock.now().getTime());
    if (!s) return { ok: false, error: `no silence ${id} in force (listed: ${this.silences.map((x) => x.id).join(', ') || 'none'})` };
    const unshared = this.unshare(id, by, 'silence');
    if (unshared) return { ok: false, error: unshared };
    const audited = this.audit(`UNSILENCE ${id} by ${by}`);
    if (audited) return { ok: false, error: audited };
    this.silences = this.silences.filter((x) => x !== s);
    this.opts.timeline?.(s.subject, `Silence ${id} removed by ${by}`, by);
    this.changed();
    return { ok: true, id, until: this.opts.clock.now() };
  }

  startMaintenance(service: string, minutes: number, reason: string, by: string): MuteResult {
    if (!this.opts.services.includes(service)) return { ok: false, error: `no service ${JSON.stringify(service)} in the config — select a service and press m` };
    const bad = this.checkDuration(minutes) ?? this.checkReason(reason);
    if (bad) return { ok: false, error: bad };
    const now = this.opts.clock.now();
    const id = `m-${randomBytes(this.opts.shared ? 6 : 3).toString('hex')}`;
    const shared = this.share({ id, kind: 'maintenance', service, reason: clean(reason, 200), by, minutes });
    if (!shared.ok) return shared;
    const w: MaintenanceView = { id, service, reason: clean(reason, 200), by, from: now, until: new Date(now.getTime() + shared.leftMs) };
    const audited = this.audit(`MAINTENANCE ${w.id} ${service} for ${minutesText(minutes * 60_000)} until ${w.until.toISOString()} by ${by} - ${w.reason}`);
    if (audited) {
      this.unshare(id, by, 'maintenance window');
      return { ok: false, error: audited };
    }
    this.windows.push(w);
    this.opts.timeline?.(service, `Maintenance on ${service} for ${minutesText(minutes * 60_000)} by ${by}: ${w.reason}`, by);
    this.changed();
    return { ok: true, id: w.id, until: w.until };
  }

  endMaintenance(id: string, by: string): MuteResult {
    if (this.pull()) this.changed();
    const now = this.opts.clock.now().getTime();
    const w = this.windows.find((x) => x.id === id && x.until.getTime() > now);
    if (!w) return { ok: false, error: `no maintenance window ${id} in force` };
    if (w.fromConfig) return { ok: false, error: `maintenance window ${id} is in the config: edit maintenance: there` };
    const unshared = this.unshare(id, by, 'maintenance window');
    if (unshared) return { ok: false, error: unshared };
    const audited = this.audit(`MAINTENANCE_END ${id} ${w.service} by ${by}`);
    if (audited) return { ok: false, error: audited };
    this.windows = this.windows.filter((x) => x !== w);
    this.opts.timeline?.(w.service, `Maintenance on ${w.service} ended by ${by}`, by);
    this.changed();
    return { ok: true, id, until: new Date(now) };
  }

  /** What mutes an alert about `subject` from `rule` at `at` (default now), if anything. */
  mutedBy(rule: string, subject: string, at: Date = this.opts.clock.now()): MutedBy | undefined {
    // Shared: read now, so a silence set on another box a moment ago holds this notification back.
    if (this.opts.shared && this.pull()) this.opts.clock.setTimeout(() => this.changed(), 0);
    const t = at.getTime();
    const w = this.windows.find((x) => x.service === subject && x.from.getTime() <= t && t < x.until.getTime());
    if (w) return { what: 'maintenance', id: w.id, until: w.until, reason: w.reason };
    const s = this.silences.find((x) => (x.rule === undefined || x.rule === rule) && (x.subject === undefined || x.subject === subject) && x.createdAt.getTime() <= t && t < x.until.getTime());
    return s ? { what: 'silence', id: s.id, until: s.until, reason: s.reason } : undefined;
  }

  private checkDuration(minutes: number): string | undefined {
    if (!Number.isFinite(minutes) || minutes <= 0 || minutes > MAX_MUTE_MINUTES) return `duration ${String(minutes)} min: give 1 to ${MAX_MUTE_MINUTES} minutes (a week)`;
    return undefined;
  }

  private checkReason(reason: string): string | undefined {
    return clean(reason, 200) ? undefined : 'a reason is required (it goes to the audit log and the incident timeline)';
  }

  /** Audited first: a change the audit log cannot record does not happen. */
  private audit(message: string): string | undefined {
    if (!this.opts.audit) return undefined;
    try {
      this.opts.audit(message);
      return undefined;
    } catch (err) {
      return `not done: ${err instanceof Error ? err.message : String(err)}`;
    }
  }

  private changed(): void {
    // Pruned first: what has ended is neither kept in the file nor listed.
    // Shared: the file is only this box's copy for the wall screen, rewritten on every change seen.
    this.refresh();
    this.save();
    for (const l of [...this.changeListeners]) {
      try {
        l();
      } catch {
        // a listener must not stop muting
      }
    }
  }

  /** Drops what has ended, publishes, and wakes up at the next start or end. */
  private refresh(): void {
    const now = this.opts.clock.now().getTime();
    this.silences = this.silences.filter((s) => s.until.getTime() > now);
    this.windows = this.windows.filter((w) => w.until.getTime() > now);
    this.set({
      silences: [...this.silences].sort((a, b) => a.until.getTime() - b.until.getTime()),
      maintenance: [...this.windows].sort((a, b) => a.from.getTime() - b.from.getTime() || a.until.getTime() - b.until.getTime()),
    });
    this.timer?.();
    this.timer = undefined;
    const next = Math.min(
      ...this.silences.map((s) => s.until.getTime()),
      ...this.windows.flatMap((w) => [w.until.getTime(), ...(w.from.getTime() > now ? [w.from.getTime()] : [])]),
    );
    if (Number.isFinite(next)) {
      this.timer = this.opts.clock.setTimeout(() => {
        this.timer = undefined;
        this.expireDue();
      }, Math.max(0, next - now));
    }
  }

  private expireDue(): void {
    const now = this.opts.clock.now().getTime();
    const ended = [...this.silences.filter((s) => s.until.getTime() <= now), ...this.windows.filter((w) => w.until.getTime() <= now)];
    for (const e of ended) {
      if ('service' in e) this.opts.timeline?.(e.service, `Maintenance on ${e.service} ended (${e.id}, its time was up)`, 'alerts');
      else this.opts.timeline?.(e.subject, `Silence ${e.id} expired`, 'alerts');
    }
    this.changed();
  }

  private save(): void {
    if (!this.opts.file) return;
    const body = {
      version: 1,
      silences: this.silences.map((s) => ({ ...s, createdAt: s.createdAt.toISOString(), until: s.until.toISOString() })),
      maintenance: this.windows.filter((w) => !w.fromConfig).map((w) => ({ ...w, from: w.from.toISOString(), until: w.until.toISOString() })),
    };
    try {
      writeFileAtomic(this.opts.file, JSON.stringify(body, null, 1) + '\n');
      this.problem = undefined;
    } catch (err) {
      this.problem = `cannot keep silences in ${this.opts.file} (${(err as NodeJS.ErrnoException).code ?? 'error'}) — they hold until this server stops`;
    }
  }

  private load(): void {
    if (!this.opts.file) return;
    let raw: string;
    try {
      raw = readFileSync(this.opts.file, 'utf8');
    } catch {
      return;
    }
    try {
      const o = JSON.parse(raw) as { silences?: Record<string, unknown>[]; maintenance?: Record<string, unknown>[] };
      const date = (v: unknown) => (typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? new Date(v) : undefined);
      for (const s of o.silences ?? []) {
        const createdAt = date(s.createdAt);
        const until = date(s.until);
        if (typeof s.id !== 'string' || !createdAt || !until || typeof s.reason !== 'string' || typeof s.by !== 'string') continue;
        this.silences.push({ id: s.id, ...(typeof s.rule === 'string' ? { rule: s.rule } : {}), ...(typeof s.subject === 'string' ? { subject: s.subject } : {}), reason: s.reason, by: s.by, createdAt, until });
      }
      for (const w of o.maintenance ?? []) {
        const from = date(w.from);
        const until = date(w.until);
        if (typeof w.id !== 'string' || typeof w.service !== 'string' || !from || !until || typeof w.reason !== 'string' || typeof w.by !== 'string') continue;
        this.windows.push({ id: w.id, service: w.service, reason: w.reason, by: w.by, from, until });
      }
    } catch {
      this.problem = `${this.opts.file} is not readable JSON — its silences were not restored`;
    }
  }
}
