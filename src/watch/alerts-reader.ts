// Active alerts for the wall screen, read from <stateDir>/alerts.jsonl (written by the console's
// alert monitor, src/health/alerts-store.ts). Watch mode must not build the alert engine (it can
// start runbooks and send notifications), so it folds the recorded transitions instead: opened
// read-only, new complete lines only, a rotated or truncated file read again from its start.
import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PolledSource } from './polled-source';
import type { AlertsSnapshot, AlertView, MuteView } from '../core/views';
import { liveEvaluators } from './evaluators-reader';

export interface AlertsFileSourceOptions {
  file: string;
  /** Real ms between polls. */
  pollMs?: number;
  /** Read at most this many bytes from the end when a file is first opened (bounded start-up). */
  maxStartBytes?: number;
  /** Resolved alerts kept (the snapshot lists them after the firing ones). */
  keepResolved?: number;
  /** The state directory whose alert-evaluators/ says whether any console evaluates the rules. */
  stateDir?: string;
}

const KINDS = new Set<AlertView['kind']>(['service_down', 'node_offline', 'device_error_rate', 'external']);
/** A line longer than this is dropped: bounded memory even on a corrupt file. */
const MAX_LINE = 64 * 1024;

function date(v: unknown): Date | undefined {
  if (typeof v !== 'string') return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export class AlertsFileSource extends PolledSource<AlertsSnapshot> {
  private offset = 0;
  private ino: number | undefined;
  private partial = '';
  private readonly firing = new Map<string, AlertView>();
  private resolved: AlertView[] = [];
  private problem: string | undefined;
  private evaluators: number | undefined;
  private mutes: MuteView[] = [];
  private mutesKey = '';

  constructor(private readonly opts: AlertsFileSourceOptions) {
    super({ alerts: [], firing: 0, isolated: [], problems: [] }, 0, opts.pollMs ?? 2000);
  }

  /** Reads what was appended since the last poll (tests call it directly). */
  poll(): void {
    let changed = false;
    if (this.opts.stateDir !== undefined) {
      const n = liveEvaluators(this.opts.stateDir).length;
      if (n !== this.evaluators) {
        this.evaluators = n;
        changed = true;
      }
    }
    if (this.opts.stateDir !== undefined && this.readMutes(join(this.opts.stateDir, 'mutes.json'))) changed = true;
    let fd: number | undefined;
    try {
      const st = statSync(this.opts.file);
      if (this.ino !== undefined && (st.ino !== this.ino || st.size < this.offset)) {
        // Rotated or truncated: what is in the new file is the truth from now on.
        this.reset();
        changed = true;
      }
      if (this.ino === undefined) {
        this.ino = st.ino;
        const max = this.opts.maxStartBytes ?? 4 << 20;
        this.offset = Math.max(0, st.size - max);
        // Starting mid-file: the first (partial) line is skipped.
        this.partial = this.offset > 0 ? '\u0000' : '';
      }
      if (st.size > this.offset) {
        fd = openSync(this.opts.file, 'r');
        const size = fstatSync(fd).size;
        const buf = Buffer.alloc(Math.min(size - this.offset, 1 << 20));
        const n = readSync(fd, buf, 0, buf.length, this.offset);
        this.offset += n;
        const text = this.partial + buf.subarray(0, n).toString('utf8');
        const lines = text.split('\n');
        this.partial = lines.pop() ?? '';
        if (this.partial.length > MAX_LINE) this.partial = '\u0000';
        for (const line of lines) if (!line.startsWith('\u0000') && this.apply(line)) changed = true;
      }
      if (this.problem !== undefined) {
        this.problem = undefined;
        changed = true;
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // No file yet: no alert has ever fired on this machine.
      const problem = code === 'ENOENT' ? undefined : `cannot read ${this.opts.file} (${code ?? (err as Error).message}) — check its permissions`;
      if (problem !== this.problem) {
        this.problem = problem;
        changed = true;
      }
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    if (changed) this.publish();
  }

  private reset(): void {
    this.offset = 0;
    this.ino = undefined;
    this.partial = '';
    this.firing.clear();
    this.resolved = [];
  }

  /** Folds one recorded transition; true when what the screen shows changed. */
  private apply(line: string): boolean {
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return false;
    }
    if (!o || typeof o !== 'object' || typeof o.key !== 'string' || typeof o.rule !== 'string') return false;
    const at = date(o.at);
    if (!at) return false;
    const key = o.key;
    if (o.type === 'alert.fired') {
      this.firing.set(key, {
        key,
        rule: o.rule,
        kind: KINDS.has(o.kind as AlertView['kind']) ? (o.kind as AlertView['kind']) : 'service_down',
        subject: typeof o.subject === 'string' ? o.subject : '',
        ...(o.source === 'alertmanager' ? { source: 'alertmanager' as const } : {}),
        state: 'firing',
        since: date(o.since) ?? at,
        message: typeof o.message === 'string' ? o.message : '',
        actions: [],
        notifications: [],
      });
      this.resolved = this.resolved.filter((a) => a.key !== key);
      return true;
    }
    if (o.type === 'alert.resolved') {
      const was = this.firing.get(key);
      this.firing.delete(key);
      if (was) this.resolved = [{ ...was, state: 'resolved' as const, resolvedAt: date(o.resolvedAt) ?? at }, ...this.resolved].slice(0, this.opts.keepResolved ?? 5);
      return was !== undefined;
    }
    if (o.type === 'alert.action' && typeof o.detail === 'string') {
      const a = this.firing.get(key);
      if (!a) return false;
      // Bounded: the last few things done about it.
      this.firing.set(key, { ...a, actions: [...a.actions, o.detail].slice(-3) });
      return true;
    }
    return false;
  }

  /**
   * Silences and console-started maintenance windows in force, from <stateDir>/mutes.json (kept by
   * the evaluating console or server, src/health/alerts-mute.ts): the wall screen says MAINTENANCE.
   * True when what is in force changed.
   */
  private readMutes(file: string): boolean {
    let list: MuteView[] = [];
    try {
      const raw = readFileSync(file, 'utf8');
      if (raw.length > 1 << 20) return false;
      const o = JSON.parse(raw) as { silences?: Record<string, unknown>[]; maintenance?: Record<string, unknown>[] };
      const now = Date.now();
      for (const w of o.maintenance ?? []) {
        const from = date(w.from);
        const until = date(w.until);
        if (typeof w.id !== 'string' || typeof w.service !== 'string' || !from || !until || until.getTime() <= now) continue;
        list.push({ id: w.id, what: 'maintenance', match: w.service, service: w.service, reason: typeof w.reason === 'string' ? w.reason : '', by: typeof w.by === 'string' ? w.by : '', from, until });
      }
      for (const x of o.silences ?? []) {
        const from = date(x.createdAt);
        const until = date(x.until);
        if (typeof x.id !== 'string' || !from || !until || until.getTime() <= now) continue;
        const match = [typeof x.rule === 'string' && `rule=${x.rule}`, typeof x.subject === 'string' && `subject=${x.subject}`].filter(Boolean).join(' ');
        list.push({ id: x.id, what: 'silence', match, reason: typeof x.reason === 'string' ? x.reason : '', by: typeof x.by === 'string' ? x.by : '', from, until });
      }
    } catch {
      list = [];
    }
    list.sort((a, b) => a.until.getTime() - b.until.getTime());
    const key = JSON.stringify(list);
    if (key === this.mutesKey) return false;
    this.mutesKey = key;
    this.mutes = list;
    return true;
  }

  private publish(): void {
    const firing = [...this.firing.values()].sort((a, b) => a.since.getTime() - b.since.getTime());
    this.set({
      alerts: [...firing, ...this.resolved],
      firing: firing.length,
      isolated: [],
      problems: this.problem ? [this.problem] : [],
      ...(this.evaluators !== undefined ? { evaluators: this.evaluators } : {}),
      ...(this.mutes.length ? { mutes: this.mutes } : {}),
    });
  }
}
