// Alerts (R-HLT-5): conditions from alerts.ts become alerts that fire and resolve, with since
// when, what was done (notify on-call, auto-reconnect runbook, isolate devices) and how the
// notifications went. Every transition is appended to stateDir/alerts.jsonl (the incident
// timeline reads it) and emitted to onEvent listeners. The audit log is not touched: it records
// recovery actions only (the engine and the approval module write it).
//
// Nothing here may crash the console: a failing webhook, runbook start or file write becomes a
// line in the alerts pane.
import type { AckShare, SharedAck } from './alerts-acks';
import { RotatingLog } from '../core/rotating-log';
import type { Clock } from '../core/clock';
import { BatchedStore } from '../core/store';
import type { Store } from '../core/store';
import type { MuteView, AlertEvent, AlertsSnapshot, AlertsStore, AlertView, FleetSnapshot, NodesSnapshot, NotificationAttempt } from '../core/views';
import type { Config } from '../config/schema';
import { alertRules, evaluateAlerts, type AlertCondition, type AlertRule } from './alerts';
import type { MuteStore, MutesSnapshot } from './alerts-mute';

/** Resolved alerts kept on screen (the JSONL file keeps them all). */
export const RESOLVED_KEPT = 50;
/** Runbooks the isolate action starts in one evaluation, at most (one per device). */
export const MAX_ISOLATE_RUNS = 10;

/** Which alert transition a notification is about: a shared outbox dedups on key + transition. */
export interface NotificationSubject {
  key: string;
  /** acknowledged goes to ackNotifier only (never to the shared outbox). */
  transition: 'fired' | 'resolved' | 'acknowledged';
  rule: string;
  kind: AlertView['kind'];
  subject: string;
  since: Date;
  at: Date;
  /** What is wrong, for receivers with their own fields (PagerDuty summary, generic JSON). */
  message?: string;
  source?: string;
  acknowledgedBy?: string;
}

export interface AlertNotifier {
  send(text: string, about?: NotificationSubject): Promise<NotificationAttempt[]>;
  problems(): string[];
  readonly configured: number;
}

export interface AlertActions {
  /** Starts a runbook (auto-reconnect, isolate). Errors in words. */
  startRunbook(runbookId: string, target: string): { ok: true; runId: string } | { ok: false; error: string };
}

export interface AlertsStoreOptions {
  config: Pick<Config, 'alerts' | 'health' | 'services'>;
  clock: Clock;
  fleet: Store<FleetSnapshot>;
  nodes?: Store<NodesSnapshot>;
  notifier?: AlertNotifier;
  actions?: AlertActions;
  /** JSONL file alerts are appended to (stateDir/alerts.jsonl); none in tests that do not care. */
  file?: string;
  /** Called whenever the isolated device set changes (the nodes store marks them). */
  onIsolated?(ids: string[]): void;
  /** Silences and maintenance windows: a muted alert's notifications are held until they end. */
  mutes?: MuteStore;
  /** Sends acknowledgements (PagerDuty acknowledge): the webhooks themselves, never an outbox. */
  ackNotifier?: AlertNotifier;
  /** Acknowledgements kept beyond this evaluator (a shared state backend: a new leader knows them). */
  acks?: AckShare;
  /** Writes one audit line (ALERTS: ACK …); throws when it cannot. */
  audit?(message: string): void;
  /** Puts a line in the open incident's timeline. */
  timeline?(subject: string | undefined, text: string, actor: string): void;
}

export type AckResult = { ok: true } | { ok: false; error: string };

export type UnisolateResult = { ok: true; released: string[] } | { ok: false; error: string };

/** An alert from outside (Alertmanager), already checked: applied whole or not at all. */
export interface ExternalAlert {
  /** Stable across firing and resolving: `alertmanager:<fingerprint>`. */
  key: string;
  rule: string;
  subject: string;
  message: string;
  status: 'firing' | 'resolved';
  startsAt: Date;
  /** What it means for the level recommendation (from alertmanager.symptoms). */
  symptom?: { kind: 'host_unreachable' | 'db_failing'; target: string };
}

export interface ExternalResult {
  fired: ExternalAlert[];
  resolved: number;
  /** Still firing, already known (Alertmanager repeats its groups). */
  repeated: number;
  /** Resolved ones this server never saw firing. */
  unknown: number;
}

export interface AlertsStoreHandle extends AlertsStore {
  /**
   * The operator puts isolated devices back (undoes the device_error_rate isolation). Recorded on
   * the alert that isolated them, like the isolation; a device still over the threshold is not
   * isolated again until it has recovered and spikes anew.
   */
  unisolate(deviceIds: readonly string[], operator: string): UnisolateResult;
  /** Alerts from another evaluator (Alertmanager): fire, repeat or resolve beside the rules' own. */
  receiveExternal(source: 'alertmanager', alerts: readonly ExternalAlert[]): ExternalResult;
  /**
   * Someone takes a firing alert (the `a` key): recorded with who and when (audit log, timeline,
   * alerts.jsonl); no further notification for it but the resolve; PagerDuty and generic JSON
   * receivers that got the trigger get an acknowledge.
   */
  acknowledge(key: string, operator: string): AckResult;
  /** The symptoms the firing external alerts stand for (fed to the level recommendation). */
  externalSymptoms(): { hostsUnreachable: string[]; dbFailing: string[] };
  start(): void;
  stop(): void;
  /** Evaluates the rules against the current snapshots now; resolves when actions and notifications are done. */
  evaluateNow(): Promise<void>;
  /** Resolves when every notification and file write started so far has finished. */
  settled(): Promise<void>;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

class AlertsStoreImpl extends BatchedStore<AlertsSnapshot> implements AlertsStoreHandle {
  private readonly rules: AlertRule[];
  private readonly active = new Map<string, Mutable<AlertView>>();
  private resolved: AlertView[] = [];
  private readonly isolated = new Set<string>();
  private readonly symptomOf = new Map<string, NonNullable<ExternalAlert['symptom']>>();
  /** Firing notifications a silence or maintenance window held back, by alert key. */
  private readonly held = new Map<string, string>();
  /** Which alert isolated each device, so un-isolating is recorded on the same alert. */
  private readonly isolatedBy = new Map<string, string>();
  /** Devices the operator put back while still over the threshold: left alone until they recover. */
  private readonly released = new Set<string>();
  private readonly eventListeners = new Set<(e: AlertEvent) => void>();
  private readonly problems = new Set<string>();
  private readonly pending = new Set<Promise<unknown>>();
  /** alerts.jsonl, bounded: rotated at 5 MB, three old files kept (R-SRV-5). */
  private readonly log?: RotatingLog;
  private unsubscribe: (() => void)[] = [];
  private evaluationQueued = false;

  constructor(private readonly opts: AlertsStoreOptions) {
    super({ alerts: [], firing: 0, isolated: [], problems: [] });
    const file = opts.file;
    if (file) {
      this.log = new RotatingLog(file, {
        onError: (err) => {
          const problem = `cannot record alerts in ${file} (${err.code ?? 'error'}) — check that the state directory is writable`;
          if (!this.problems.has(problem)) {
            this.problems.add(problem);
            this.publish();
          }
        },
      });
    }
    this.rules = alertRules(opts.config);
    opts.mutes?.onChange(() => this.releaseHeld());
    opts.mutes?.subscribe(() => this.publish());
    for (const p of opts.notifier?.problems() ?? []) this.problems.add(p);
    for (const r of this.rules) {
      if (r.kind !== 'service_down' && r.services) this.problems.add(`alert rule ${r.name}: services: applies to service_down rules only — it is ignored here`);
    }
    this.publish();
  }

  start(): void {
    if (this.unsubscribe.length) return;
    const trigger = () => this.scheduleEvaluation();
    this.unsubscribe.push(this.opts.fleet.subscribe(trigger));
    if (this.opts.nodes) this.unsubscribe.push(this.opts.nodes.subscribe(trigger));
    trigger();
  }

  stop(): void {
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
  }

  onEvent(listener: (e: AlertEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  settled(): Promise<void> {
    return Promise.all([...this.pending]).then(() => this.log?.settled());
  }

  private scheduleEvaluation(): void {
    // Many store notifications in one tick (a sweep, a poll) cost one evaluation.
    if (this.evaluationQueued) return;
    this.evaluationQueued = true;
    queueMicrotask(() => {
      this.evaluationQueued = false;
      void this.evaluateNow();
    });
  }

  evaluateNow(): Promise<void> {
    const now = this.opts.clock.now();
    const { conditions, unknown } = evaluateAlerts(this.rules, {
      services: this.opts.fleet.getSnapshot().services,
      nodes: this.opts.nodes?.getSnapshot(),
      now,
      failureThreshold: this.opts.config.health.failure_threshold,
    });
    if (unknown.size === 0 && this.released.size > 0) {
      const over = new Set(conditions.flatMap((c) => c.devices ?? []));
      for (const d of this.released) if (!over.has(d)) this.released.delete(d);
    }
    const work: Promise<unknown>[] = [];
    const seen = new Set<string>();
    for (const c of conditions) {
      seen.add(c.key);
      const existing = this.active.get(c.key);
      if (!existing) work.push(this.fire(c, now));
      else {
        existing.message = c.message;
        if (c.devices) work.push(this.isolate(existing, c));
      }
    }
    for (const [key, alert] of this.active) {
      // External alerts resolve when their source says so, not by these rules.
      if (alert.source || seen.has(key) || unknown.has(key)) continue;
      work.push(this.resolve(alert, now));
    }
    this.publish();
    return Promise.all(work).then(() => undefined);
  }

  receiveExternal(source: 'alertmanager', alerts: readonly ExternalAlert[]): ExternalResult {
    const now = this.opts.clock.now();
    const result: ExternalResult = { fired: [], resolved: 0, repeated: 0, unknown: 0 };
    for (const x of alerts) {
      const existing = this.active.get(x.key);
      if (x.status === 'firing') {
        if (existing) {
          existing.message = x.message;
          result.repeated++;
        } else {
          const alert: Mutable<AlertView> = {
            key: x.key,
            rule: x.rule,
            kind: 'external',
            subject: x.subject,
            source,
            state: 'firing',
            since: x.startsAt.getTime() > now.getTime() ? now : x.startsAt,
            message: x.message,
            actions: [],
            notifications: [],
          };
          this.active.set(x.key, alert);
          this.emit({ type: 'alert.fired', alert: { ...alert }, at: now, detail: `from ${source}` });
          result.fired.push(x);
        }
        if (x.symptom) this.symptomOf.set(x.key, x.symptom);
      } else if (existing) {
        this.symptomOf.delete(x.key);
        this.active.delete(x.key);
        existing.state = 'resolved';
        existing.resolvedAt = now;
        this.resolved = [existing, ...this.resolved].slice(0, RESOLVED_KEPT);
        this.emit({ type: 'alert.resolved', alert: { ...existing }, at: now, detail: `resolved by ${source}` });
        result.resolved++;
      } else result.unknown++;
    }
    this.publish();
    return result;
  }

  externalSymptoms(): { hostsUnreachable: string[]; dbFailing: string[] } {
    const hosts = new Set<string>();
    const dbs = new Set<string>();
    for (const s of this.symptomOf.values()) (s.kind === 'host_unreachable' ? hosts : dbs).add(s.target);
    return { hostsUnreachable: [...hosts].sort(), dbFailing: [...dbs].sort() };
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p)).catch(() => undefined);
    return p;
  }

  private async fire(c: AlertCondition, now: Date): Promise<void> {
    const alert: Mutable<AlertView> = {
      key: c.key,
      rule: c.rule.name,
      kind: c.kind,
      subject: c.subject,
      state: 'firing',
      since: now,
      message: c.message,
      actions: [],
      notifications: [],
    };
    this.active.set(c.key, alert);
    this.emit({ type: 'alert.fired', alert: { ...alert }, at: now });
    this.adoptSharedAck(alert);
    const action = c.rule.action;
    const jobs: Promise<unknown>[] = [];
    if (action === 'notify_oncall' || action === 'notify_and_isolate') jobs.push(this.notify(alert, `[FIRING] ${c.rule.name}: ${c.message}`));
    if (action === 'auto_reconnect') this.startRunbook(alert, c.rule, c.rule.target ?? this.defaultTarget(), 'auto-reconnect');
    if (action === 'notify_and_isolate' && c.devices) jobs.push(this.isolate(alert, c));
    if (action === 'none') this.addAction(alert, 'recorded only (action: none)');
    await Promise.all(jobs);
  }

  private async resolve(alert: Mutable<AlertView>, now: Date): Promise<void> {
    this.active.delete(alert.key);
    alert.state = 'resolved';
    alert.resolvedAt = now;
    this.resolved = [alert, ...this.resolved].slice(0, RESOLVED_KEPT);
    this.emit({ type: 'alert.resolved', alert: { ...alert }, at: now });
    const rule = this.rules.find((r) => r.name === alert.rule);
    if (rule && (rule.action === 'notify_oncall' || rule.action === 'notify_and_isolate')) {
      await this.notify(alert, `[RESOLVED] ${alert.rule}: ${alert.subject} (firing since ${alert.since.toISOString()})`);
    }
  }

  private defaultTarget(): string | undefined {
    return this.opts.config.services[0]?.name;
  }

  private startRunbook(alert: Mutable<AlertView>, rule: AlertRule, target: string | undefined, what: string): void {
    if (!rule.runbook) {
      this.addAction(alert, `no ${what} runbook configured (alerts.${rule.name}.runbook) — recorded only`);
      return;
    }
    if (!this.opts.actions) {
      this.addAction(alert, `${what} ${rule.runbook} not started: this console cannot start runbooks (read-only)`);
      return;
    }
    if (!target) {
      this.addAction(alert, `${what} ${rule.runbook} not started: no target — set alerts.${rule.name}.target`);
      return;
    }
    let result: ReturnType<AlertActions['startRunbook']>;
    try {
      result = this.opts.actions.startRunbook(rule.runbook, target);
    } catch (err) {
      result = { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    this.addAction(alert, result.ok ? `started ${rule.runbook} on ${target} (run ${result.runId})` : `${what} ${rule.runbook} on ${target} failed to start: ${result.error}`);
  }

  private async isolate(alert: Mutable<AlertView>, c: AlertCondition): Promise<void> {
    if (c.rule.action !== 'notify_and_isolate') return;
    const fresh = (c.devices ?? []).filter((d) => !this.isolated.has(d) && !this.released.has(d));
    if (fresh.length === 0) return;
    for (const d of fresh) {
      this.isolated.add(d);
      this.isolatedBy.set(d, alert.key);
    }
    const names = fresh.length <= 5 ? fresh.join(', ') : `${fresh.slice(0, 5).join(', ')} +${fresh.length - 5} more`;
    this.addAction(alert, `isolated ${fresh.length} device${fresh.length > 1 ? 's' : ''}: ${names}`);
    this.opts.onIsolated?.([...this.isolated]);
    if (c.rule.runbook) {
      const started = fresh.slice(0, MAX_ISOLATE_RUNS);
      for (const d of started) this.startRunbook(alert, c.rule, c.rule.target ?? d, 'isolate');
      if (fresh.length > started.length) this.addAction(alert, `isolate runbook not started for ${fresh.length - started.length} more devices (at most ${MAX_ISOLATE_RUNS} at once)`);
    }
    this.publish();
  }

  unisolate(deviceIds: readonly string[], operator: string): UnisolateResult {
    const ids = [...new Set(deviceIds)];
    if (ids.length === 0) return { ok: false, error: 'no device given: select an isolated node (or a device error alert) and press the key again' };
    const notIsolated = ids.filter((d) => !this.isolated.has(d));
    if (notIsolated.length > 0) {
      return { ok: false, error: `${some(notIsolated)} ${notIsolated.length > 1 ? 'are' : 'is'} not isolated: nothing to undo (isolated now: ${this.isolated.size})` };
    }
    const byAlert = new Map<string, string[]>();
    for (const d of ids) {
      this.isolated.delete(d);
      this.released.add(d);
      const key = this.isolatedBy.get(d) ?? '';
      this.isolatedBy.delete(d);
      byAlert.set(key, [...(byAlert.get(key) ?? []), d]);
    }
    for (const [key, devices] of byAlert) {
      const alert = this.active.get(key) ?? this.resolved.find((a) => a.key === key);
      const text = `un-isolated ${devices.length} device${devices.length > 1 ? 's' : ''} by ${operator}: ${some(devices)}`;
      // Resolved alerts are copies in the list; either way the event lands in alerts.jsonl.
      if (alert) this.addAction(alert as Mutable<AlertView>, text);
    }
    this.opts.onIsolated?.([...this.isolated]);
    this.publish();
    return { ok: true, released: ids };
  }

  private addAction(alert: Mutable<AlertView>, text: string): void {
    alert.actions = [...alert.actions, text];
    this.emit({ type: 'alert.action', alert: { ...alert }, at: this.opts.clock.now(), detail: text });
    this.publish();
  }

  private notify(alert: Mutable<AlertView>, text: string): Promise<void> {
    const firing = alert.state === 'firing';
    if (firing && alert.acknowledged) return Promise.resolve();
    const muted = this.opts.mutes?.mutedBy(alert.rule, alert.subject);
    if (firing && muted) {
      this.held.set(alert.key, text);
      alert.muted = { what: muted.what, id: muted.id, until: muted.until };
      this.addAction(alert, `${muted.what === 'silence' ? `silenced (${muted.id})` : `in maintenance (${muted.id})`} until ${muted.until.toISOString()}: ${muted.reason} — not notified`);
      return Promise.resolve();
    }
    if (!firing && this.held.has(alert.key)) {
      // Fired inside a silence and never sent (resolved inside it, or acknowledged before it
      // ended): nobody was told, so there is nothing to resolve.
      this.held.delete(alert.key);
      this.addAction(alert, alert.acknowledged ? 'resolved — its firing was never sent (muted, then acknowledged), so no resolve is sent' : 'resolved while muted — no notification was sent for it');
      return Promise.resolve();
    }
    return this.deliver(alert, text);
  }

  /** A silence or window ended: what it held and is still firing (and not acknowledged) goes now. */
  private releaseHeld(): void {
    for (const [key, text] of [...this.held]) {
      const alert = this.active.get(key);
      if (!alert) {
        this.held.delete(key);
        continue;
      }
      if (alert.acknowledged) continue; // never sent, and its resolve will not be either
      const muted = this.opts.mutes?.mutedBy(alert.rule, alert.subject);
      if (muted) {
        alert.muted = { what: muted.what, id: muted.id, until: muted.until };
        continue;
      }
      this.held.delete(key);
      delete alert.muted;
      this.addAction(alert, 'mute ended while still firing — notifying now');
      void this.deliver(alert, text);
    }
    this.publish();
  }

  /** A firing another evaluator (the previous leader) saw acknowledged stays acknowledged here: not paged again. */
  private adoptSharedAck(alert: Mutable<AlertView>): void {
    let ack: SharedAck | undefined;
    try {
      ack = this.opts.acks?.lookup(alert.key);
    } catch (err) {
      this.addAction(alert, `could not read earlier acknowledgements (${err instanceof Error ? err.message : String(err)})`);
      return;
    }
    if (!ack) return;
    alert.acknowledged = { by: ack.by, at: ack.at };
    this.addAction(alert, `acknowledged by ${ack.by} at ${ack.at.toISOString()} on ${ack.box} (before this server evaluated it) — not notified again`);
  }

  acknowledge(key: string, operator: string): AckResult {
    const alert = this.active.get(key);
    if (!alert) return { ok: false, error: `no firing alert ${key} — it may have resolved meanwhile` };
    if (alert.acknowledged) return { ok: false, error: `already acknowledged by ${alert.acknowledged.by} at ${alert.acknowledged.at.toISOString()}` };
    if (this.opts.acks) {
      let shared: ReturnType<AckShare['record']>;
      try {
        shared = this.opts.acks.record(key, operator);
      } catch (err) {
        return { ok: false, error: `not acknowledged: ${err instanceof Error ? err.message : String(err)}` };
      }
      if (shared.kind === 'earlier') {
        alert.acknowledged = { by: shared.ack.by, at: shared.ack.at };
        this.publish();
        return { ok: false, error: `already acknowledged by ${shared.ack.by} at ${shared.ack.at.toISOString()} on ${shared.ack.box}` };
      }
    }
    const now = this.opts.clock.now();
    try {
      this.opts.audit?.(`ACK ${key} by ${operator}`);
    } catch (err) {
      return { ok: false, error: `not acknowledged: ${err instanceof Error ? err.message : String(err)}` };
    }
    alert.acknowledged = { by: operator, at: now };
    // A held firing stays held (never sent): its resolve is then not sent either.
    delete alert.muted;
    this.addAction(alert, `acknowledged by ${operator}`);
    this.opts.timeline?.(alert.subject, `Alert ${alert.rule} acknowledged by ${operator}`, operator);
    const sender = this.opts.ackNotifier ?? this.opts.notifier;
    // Only receivers that got the trigger have something to acknowledge.
    const told = new Set(alert.notifications.filter((n) => n.ok).map((n) => n.webhook));
    if (sender && told.size > 0) {
      const about: NotificationSubject = { key: alert.key, transition: 'acknowledged', rule: alert.rule, kind: alert.kind, subject: alert.subject, since: alert.since, at: now, message: alert.message, acknowledgedBy: operator, ...(alert.source ? { source: alert.source } : {}) };
      const job = sender.send(`[ACK] ${alert.rule}: ${alert.subject} acknowledged by ${operator}`, about).then(
        (attempts) => {
          const mine = attempts.filter((a) => told.has(a.webhook));
          if (mine.length === 0) return;
          alert.notifications = [...alert.notifications, ...mine];
          const ok = mine.filter((a) => a.ok).length;
          this.addAction(alert, ok === mine.length ? `acknowledge sent (${mine.map((a) => a.webhook).join(', ')})` : `acknowledge failed on ${mine.length - ok} of ${mine.length} receivers`);
        },
        (err: unknown) => this.addAction(alert, `acknowledge failed: ${err instanceof Error ? err.message : String(err)}`),
      );
      this.track(job);
    }
    this.publish();
    return { ok: true };
  }

  private deliver(alert: Mutable<AlertView>, text: string): Promise<void> {
    const notifier = this.opts.notifier;
    if (!notifier || notifier.configured === 0) {
      if (!alert.actions.some((a) => a.startsWith('no webhook'))) this.addAction(alert, 'no webhook configured (notifications.webhooks) — on-call not notified');
      return Promise.resolve();
    }
    const about: NotificationSubject = { key: alert.key, transition: alert.state === 'firing' ? 'fired' : 'resolved', rule: alert.rule, kind: alert.kind, subject: alert.subject, since: alert.since, at: alert.resolvedAt ?? alert.since, message: alert.message, ...(alert.source ? { source: alert.source } : {}) };
    const job = notifier.send(text, about).then(
      (attempts) => {
        alert.notifications = [...alert.notifications, ...attempts];
        const ok = attempts.filter((a) => a.ok).length;
        if (attempts.length === 0) {
          this.addAction(alert, `no receiver routed for rule ${alert.rule} (notifications.webhooks[].rules) — on-call not notified`);
          return;
        }
        this.addAction(alert, ok === attempts.length ? `notified on-call (${ok} webhook${ok > 1 ? 's' : ''})` : `notification failed on ${attempts.length - ok} of ${attempts.length} webhooks`);
        this.emit({ type: 'alert.notified', alert: { ...alert }, at: this.opts.clock.now(), detail: attempts.map((a) => `${a.webhook}: ${a.ok ? 'sent' : a.error}`).join('; ') });
      },
      (err: unknown) => this.addAction(alert, `notification failed: ${err instanceof Error ? err.message : String(err)}`),
    );
    return this.track(job);
  }

  private emit(e: AlertEvent): void {
    this.record(e);
    for (const l of [...this.eventListeners]) {
      try {
        l(e);
      } catch {
        // A failing listener (timeline, watch) must not stop alerting.
      }
    }
  }

  /** One JSON line per event, appended in order; a failure becomes a visible problem. */
  private record(e: AlertEvent): void {
    if (!this.log) return;
    const a = e.alert;
    const line =
      JSON.stringify({
        at: e.at.toISOString(),
        type: e.type,
        key: a.key,
        rule: a.rule,
        kind: a.kind,
        subject: a.subject,
        ...(a.source ? { source: a.source } : {}),
        ...(a.acknowledged ? { acknowledgedBy: a.acknowledged.by, acknowledgedAt: a.acknowledged.at.toISOString() } : {}),
        state: a.state,
        since: a.since.toISOString(),
        ...(a.resolvedAt ? { resolvedAt: a.resolvedAt.toISOString() } : {}),
        message: a.message,
        ...(e.detail ? { detail: e.detail } : {}),
        ...(e.type === 'alert.notified' ? { notifications: a.notifications.map((n) => ({ ...n, at: n.at.toISOString() })) } : {}),
      }) + '\n';
    void this.log?.append(line);
  }

  private publish(): void {
    const firing = [...this.active.values()].sort((a, b) => a.since.getTime() - b.since.getTime() || a.key.localeCompare(b.key));
    this.set({
      alerts: [...firing.map((a) => ({ ...a })), ...this.resolved],
      firing: firing.length,
      isolated: [...this.isolated],
      problems: [...this.problems, ...(this.opts.mutes?.fileProblem() ? [this.opts.mutes.fileProblem()!] : [])],
      ...(this.opts.mutes ? { mutes: muteViews(this.opts.mutes.getSnapshot()) } : {}),
    });
  }
}

function muteViews(m: MutesSnapshot): MuteView[] {
  return [
    ...m.maintenance.map((w): MuteView => ({ id: w.id, what: 'maintenance', match: w.service, service: w.service, reason: w.reason, by: w.by, from: w.from, until: w.until })),
    ...m.silences.map((s): MuteView => ({ id: s.id, what: 'silence', match: [s.rule && `rule=${s.rule}`, s.subject && `subject=${s.subject}`].filter(Boolean).join(' '), reason: s.reason, by: s.by, from: s.createdAt, until: s.until })),
  ].sort((a, b) => a.until.getTime() - b.until.getTime());
}

function some(names: string[], max = 5): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} +${names.length - max} more`;
}

export function createAlertsStore(opts: AlertsStoreOptions): AlertsStoreHandle {
  return new AlertsStoreImpl(opts);
}
