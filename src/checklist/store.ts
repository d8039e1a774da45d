// The checklist store: built-in and user checklists, their instances replayed from disk, live
// auto checks, and the sign-off intents (R-CHK-2..5). Screens read the snapshot; the incident
// store listens to onEvent() for the timeline. Every intent writes its line durably first and
// only then changes what the screen shows.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock';
import { BatchedStore, type Store } from '../core/store';
import type {
  ChecklistControl,
  ChecklistInstanceView,
  ChecklistItemView,
  ChecklistResult,
  ChecklistsSnapshot,
  ChecklistsStore,
  Localized,
} from '../core/views';
import { evaluateAuto, type AutoResult, type BackupFact, type CheckScope, type LiveFacts } from './facts';
import { appendEntry, instancePath, listInstanceFiles, readEntries, type ChecklistEntry } from './log';
import { replayItems } from './model';
import type { ChecklistDefinition, ChecklistItemDef, ChecklistSectionDef } from './schema';
import { ActingOperator } from '../core/acting-operator';
import { SingleFlight } from '../core/single-flight';

export interface ChecklistEvent {
  type: 'opened' | 'signed' | 'note' | 'undone';
  instanceId: string;
  checklistId: string;
  title: Localized;
  target?: string;
  incidentId?: string;
  item?: { id: string; text: Localized };
  operator: string;
  at: Date;
  override?: boolean;
  note?: string;
}

export interface ChecklistStoreOptions {
  /** <stateDir>/checklists */
  dir: string;
  definitions: ChecklistDefinition[];
  clock: Pick<Clock, 'now' | 'setInterval'>;
  operator: string;
  /** Live facts: the fleet snapshot and whatever node/host/WebSocket monitors this console has. */
  facts: () => LiveFacts;
  /** Stores whose change may change a fact (auto items re-evaluate). */
  factSources?: Store<unknown>[];
  /** The services and hosts an instance's auto checks look at, from its target. */
  scopeOf: (target: string | undefined) => CheckScope;
  /** "Backups present": an SSH `ls` per host (absent: the item stays unknown). */
  backups?: { check(host: string): Promise<BackupFact | undefined>; everyMs?: number };
  /** Real ms between re-reads of the files, to see another console's sign-offs; 0 = never. */
  pollMs?: number;
  /**
   * Under `state.backend: postgres`: the entries of every box, one log in one order
   * (src/state/pg-checklists.ts), instead of the files in `dir`.
   */
  shared?: ChecklistShare;
  batchMs?: number;
}

/** A log of checklist entries every box appends to and reads in the same order. */
export interface ChecklistShare {
  readonly where: string;
  /** Appends one entry durably; throws in words (nothing was recorded) when it cannot. */
  append(instanceId: string, entry: ChecklistEntry): void;
  /** The entries after `seq`, in order (a bounded page); throws in words when unreadable. */
  readSince(seq: number): { seq: number; instanceId: string; entry: ChecklistEntry | undefined; raw: string }[];
  /** The same without blocking the caller (the database): the periodic and notified re-reads use it when there is one. */
  readSinceAsync?(seq: number): Promise<{ seq: number; instanceId: string; entry: ChecklistEntry | undefined; raw: string }[]>;
  /** Called when another box appended (and when the feed comes back after a gap). */
  onChange?(listener: () => void): () => void;
  close?(): void;
}

interface Instance {
  id: string;
  header: Extract<ChecklistEntry, { type: 'created' }>;
  entries: ChecklistEntry[];
  offset: number;
}

const L = (en: string, ko: string): Localized => ({ en, ko });
const fail = (en: string, ko: string): { ok: false; error: Localized } => ({ ok: false, error: L(en, ko) });

function hhmm(d: Date): string {
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

function inWords(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const m = Math.floor(s / 60);
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m` : `${m}m${String(s % 60).padStart(2, '0')}s`;
}

function stamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** Notes are one line: control characters would repaint the console or break the report's table. */
export function cleanText(text: string): string {
  return text.replace(/[\x00-\x1f\x7f\x9b]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 500);
}

export class ChecklistStore extends BatchedStore<ChecklistsSnapshot> implements ChecklistsStore, ChecklistControl {
  private readonly instances = new Map<string, Instance>();
  private readonly defs: Map<string, ChecklistDefinition>;
  private readonly eventListeners = new Set<(e: ChecklistEvent) => void>();
  private readonly backupFacts: Record<string, BackupFact> = {};
  private readonly backupsInFlight = new Set<string>();
  private readonly problems: string[] = [];
  private stops: (() => void)[] = [];

  private readonly acting = new ActingOperator(() => this.opts.operator);
  /** Who the current intent is for: the operator a server proved (withOperator), else this console's. */
  private get actor(): string {
    return this.acting.current;
  }

  /** Runs one intent (sign, note, open, close…) as `operator`: a server acting for a console it proved. */
  withOperator<T>(operator: string, fn: () => T): T {
    return this.acting.run(operator, fn);
  }

  constructor(private readonly opts: ChecklistStoreOptions) {
    super({ definitions: [], instances: [], problems: [] }, opts.batchMs ?? 0);
    this.defs = new Map(opts.definitions.map((d) => [d.id, d]));
    this.refresh();
    this.rebuild();
  }

  // --- lifecycle -------------------------------------------------------------------------------

  start(): void {
    if (this.stops.length) return;
    // Live facts only change open instances' items: with none open, a probe or a node poll (every
    // second, 10,000 nodes) must not rebuild the snapshot nor send it to every console.
    for (const s of this.opts.factSources ?? []) this.stops.push(s.subscribe(() => this.instances.size > 0 && this.rebuild()));
    const pollMs = this.opts.pollMs ?? 2000;
    if (pollMs > 0) {
      // Real time on purpose: another console's line is on disk now, whatever the demo's clock says.
      const t = setInterval(() => this.refreshInBackground(), pollMs);
      t.unref?.();
      this.stops.push(() => clearInterval(t));
    }
    const off = this.opts.shared?.onChange?.(() => this.refreshInBackground());
    if (off) this.stops.push(off);
    if (this.opts.backups) {
      this.stops.push(this.opts.clock.setInterval(() => this.checkBackups(), this.opts.backups.everyMs ?? 60_000));
      this.checkBackups();
    }
  }

  stop(): void {
    for (const s of this.stops) s();
    this.stops = [];
  }

  onEvent(listener: (e: ChecklistEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  definition(id: string): ChecklistDefinition | undefined {
    return this.defs.get(id);
  }

  // --- reading the files -----------------------------------------------------------------------

  /** Reads lines appended since the last read (this console's and any other's). True when something changed. */
  refresh(): boolean {
    if (this.opts.shared) return this.refreshShared(this.opts.shared);
    let changed = false;
    let ids: string[];
    try {
      ids = listInstanceFiles(this.opts.dir);
    } catch (err) {
      this.problem(`cannot read ${this.opts.dir}: ${(err as Error).message}`);
      return false;
    }
    for (const id of ids) {
      const known = this.instances.get(id);
      try {
        const res = readEntries(instancePath(this.opts.dir, id), known?.offset ?? 0);
        for (const b of res.bad) this.problem(`${instancePath(this.opts.dir, id)}: skipped an unreadable line: ${b}`);
        if (known) {
          if (res.entries.length) {
            known.entries.push(...res.entries);
            changed = true;
          }
          known.offset = res.offset;
          continue;
        }
        const header = res.entries[0];
        if (!header || header.type !== 'created') {
          // Not written whole yet by another console, or not ours: look again next time.
          if (res.entries.length) this.problem(`${instancePath(this.opts.dir, id)}: does not start with a "created" line; ignored`);
          continue;
        }
        this.instances.set(id, { id, header, entries: res.entries.slice(1), offset: res.offset });
        changed = true;
      } catch (err) {
        this.problem(`cannot read ${instancePath(this.opts.dir, id)}: ${(err as Error).message}`);
      }
    }
    return changed;
  }

  /** The shared log's number of the last entry read. */
  private sharedSeq = 0;
  /**
   * The asynchronous read of the shared log: one at a time; asked again meanwhile, once more when
   * it ends (while the store is started).
   */
  private readonly reading = new SingleFlight(
    () => {
      const shared = this.opts.shared!;
      return shared.readSinceAsync!(this.sharedSeq).then(
        (rows) => {
          if (this.takeShared(shared, rows)) this.rebuild();
        },
        (err: unknown) => this.problem((err as Error).message),
      );
    },
    { mayFollow: () => this.stops.length > 0 },
  );

  /**
   * The periodic and notified re-read: without blocking when the shared log can be read
   * asynchronously (a database cut off by the network would hold the server's event loop for the
   * timeout). Entries already taken in by a synchronous read meanwhile are skipped by their number.
   */
  private refreshInBackground(): void {
    if (!this.opts.shared?.readSinceAsync) {
      if (this.refresh()) this.rebuild();
      return;
    }
    void this.reading.request();
  }

  private refreshShared(shared: ChecklistShare): boolean {
    let rows: ReturnType<ChecklistShare['readSince']>;
    try {
      rows = shared.readSince(this.sharedSeq);
    } catch (err) {
      // Read-only: what was read stays on screen.
      this.problem((err as Error).message);
      return false;
    }
    return this.takeShared(shared, rows);
  }

  /** Takes in entries of the shared log, in order; one already taken in (by its number) is skipped. */
  private takeShared(shared: ChecklistShare, rows: ReturnType<ChecklistShare['readSince']>): boolean {
    let changed = false;
    for (const r of rows) {
      if (r.seq <= this.sharedSeq) continue;
      this.sharedSeq = r.seq;
      if (!r.entry) {
        this.problem(`${shared.where}: checklist ${r.instanceId}: skipped an unreadable entry: ${r.raw}`);
        continue;
      }
      const known = this.instances.get(r.instanceId);
      if (known) {
        known.entries.push(r.entry);
        changed = true;
      } else if (r.entry.type === 'created') {
        this.instances.set(r.instanceId, { id: r.instanceId, header: r.entry, entries: [], offset: 0 });
        changed = true;
      } else this.problem(`${shared.where}: checklist ${r.instanceId} does not start with a "created" entry; ignored`);
    }
    return changed;
  }

  /** One entry, durably: the shared log, or this box's file. */
  private appendOne(instanceId: string, entry: ChecklistEntry, opts: { create?: boolean } = {}): void {
    if (this.opts.shared) this.opts.shared.append(instanceId, entry);
    else appendEntry(this.opts.dir, instanceId, entry, opts);
  }

  private problem(text: string): void {
    if (this.problems.includes(text)) return;
    this.problems.push(text);
    if (this.problems.length > 20) this.problems.shift();
  }

  // --- the snapshot ----------------------------------------------------------------------------

  private facts(): LiveFacts {
    const base = this.opts.facts();
    return { ...base, backups: { ...(base.backups ?? {}), ...this.backupFacts } };
  }

  private opensAt(inst: Instance, section: ChecklistSectionDef): Date | undefined {
    if (section.opens_after_min === undefined) return undefined;
    const anchor = Date.parse(inst.header.anchorAt ?? inst.header.at);
    return new Date(anchor + section.opens_after_min * 60_000);
  }

  private autoOf(inst: Instance, item: ChecklistItemDef, facts: LiveFacts): AutoResult | undefined {
    if (!item.auto) return undefined;
    return evaluateAuto(item.auto, facts, this.opts.scopeOf(inst.header.target), this.opts.clock.now());
  }

  private view(inst: Instance, def: ChecklistDefinition, facts: LiveFacts): ChecklistInstanceView {
    const states = replayItems(inst.entries);
    let signed = 0;
    let total = 0;
    const sections = def.sections.map((s) => ({
      id: s.id,
      title: s.title,
      ...(this.opensAt(inst, s) ? { opensAt: this.opensAt(inst, s) } : {}),
      items: s.items.map((item): ChecklistItemView => {
        const st = states.get(item.id);
        const auto = this.autoOf(inst, item, facts);
        total++;
        if (st?.signed) signed++;
        return {
          id: item.id,
          text: item.text,
          ...(auto ? { auto } : {}),
          ...(st?.signed ? { signed: st.signed } : {}),
          notes: st?.notes ?? [],
          undone: st?.undone ?? 0,
        };
      }),
    }));
    const last = inst.entries.length ? inst.entries[inst.entries.length - 1]!.at : inst.header.at;
    return {
      instanceId: inst.id,
      checklistId: def.id,
      title: def.title,
      ...(inst.header.target ? { target: inst.header.target } : {}),
      ...(inst.header.incidentId ? { incidentId: inst.header.incidentId } : {}),
      ...(inst.header.anchorAt ? { anchorAt: new Date(inst.header.anchorAt) } : {}),
      createdAt: new Date(inst.header.at),
      createdBy: inst.header.operator,
      lastActivityAt: new Date(last),
      sections,
      signed,
      total,
      complete: signed === total,
    };
  }

  private rebuild(): void {
    const facts = this.facts();
    const instances: ChecklistInstanceView[] = [];
    for (const inst of this.instances.values()) {
      const def = this.defs.get(inst.header.checklist);
      if (!def) {
        this.problem(`checklist "${inst.header.checklist}" of ${inst.id} is no longer defined; its sign-offs stay in ${instancePath(this.opts.dir, inst.id)}`);
        continue;
      }
      instances.push(this.view(inst, def, facts));
    }
    instances.sort((a, b) => b.lastActivityAt.getTime() - a.lastActivityAt.getTime() || b.instanceId.localeCompare(a.instanceId));
    this.set({
      definitions: [...this.defs.values()].map((d) => ({
        id: d.id,
        title: d.title,
        ...(d.source ? { source: d.source } : {}),
        postRecovery: d.post_recovery,
        items: d.sections.reduce((n, s) => n + s.items.length, 0),
      })),
      instances,
      problems: [...this.problems],
    });
  }

  // --- intents ---------------------------------------------------------------------------------

  open(checklistId: string, o: { target?: string; incidentId?: string; anchorAt?: Date } = {}): { ok: true; instanceId: string } | { ok: false; error: Localized } {
    const def = this.defs.get(checklistId);
    if (!def) {
      const known = [...this.defs.keys()].join(', ');
      return fail(`no checklist "${checklistId}" (known: ${known})`, `체크리스트 "${checklistId}" 없음 (있는 것: ${known})`);
    }
    // The same recovery's checklist is resumed, not started twice.
    this.refresh();
    const anchorIso = o.anchorAt?.toISOString();
    for (const inst of this.instances.values()) {
      const h = inst.header;
      if (h.checklist === checklistId && h.target === o.target && anchorIso !== undefined && h.anchorAt === anchorIso) {
        this.rebuild();
        return { ok: true, instanceId: inst.id };
      }
    }
    const now = this.opts.clock.now();
    const instanceId = `${stamp(now)}-${checklistId}-${randomBytes(2).toString('hex')}`;
    const header: Extract<ChecklistEntry, { type: 'created' }> = {
      type: 'created',
      instanceId,
      checklist: checklistId,
      title: def.title,
      ...(o.target ? { target: o.target } : {}),
      ...(o.incidentId ? { incidentId: o.incidentId } : {}),
      ...(anchorIso ? { anchorAt: anchorIso } : {}),
      operator: this.actor,
      at: now.toISOString(),
    };
    try {
      this.appendOne(instanceId, header, { create: true });
    } catch (err) {
      return this.writeFailed(err);
    }
    this.refresh();
    this.rebuild();
    this.emit({ type: 'opened', instanceId, checklistId, title: def.title, target: o.target, incidentId: o.incidentId, operator: this.actor, at: now });
    if (this.opts.backups && def.sections.some((s) => s.items.some((i) => i.auto?.check === 'backups_present'))) this.checkBackups();
    return { ok: true, instanceId };
  }

  sign(instanceId: string, itemId: string, o: { override?: boolean; note?: string } = {}): ChecklistResult {
    const found = this.locate(instanceId, itemId);
    if (!found.ok) return found;
    const { inst, def, section, item } = found;
    const now = this.opts.clock.now();
    const opensAt = this.opensAt(inst, section);
    if (opensAt && now < opensAt) {
      const wait = inWords(opensAt.getTime() - now.getTime());
      return fail(
        `"${section.title.en}" opens at ${hhmm(opensAt)} (in ${wait}), counted from the recovery's success — sign it then`,
        `"${section.title.ko}"은(는) ${hhmm(opensAt)}에 열립니다 (${wait} 후, 복구 성공 시각 기준) — 그때 서명하세요`,
      );
    }
    const state = replayItems(inst.entries).get(itemId);
    if (state?.signed) {
      const by = state.signed;
      return fail(`already signed by ${by.operator} at ${hhmm(by.at)} — press u to undo it first`, `${hhmm(by.at)}에 ${by.operator}이(가) 이미 서명함 — 먼저 u로 취소하세요`);
    }
    const auto = this.autoOf(inst, item, this.facts());
    const note = o.note !== undefined ? cleanText(o.note) : undefined;
    // A check that cannot tell (UNKNOWN: no probe result, no source) proves nothing either: like a
    // failing one it is signed only as an override with a note (issue 12 item 16).
    const failing = auto?.status === 'fail' || auto?.status === 'unknown';
    if (failing && !o.override) {
      return auto!.status === 'fail'
        ? fail(
            `the check is failing (${auto!.detail.en}) — press o to sign anyway with an override note`,
            `점검 실패 중 (${auto!.detail.ko}) — o를 눌러 사유를 적고 예외 서명하세요`,
          )
        : fail(
            `the check cannot tell yet (${auto!.detail.en}) — press o to sign anyway with an override note`,
            `점검 결과를 알 수 없음 (${auto!.detail.ko}) — o를 눌러 사유를 적고 예외 서명하세요`,
          );
    }
    if (failing && !note) {
      return fail('an override needs a note saying why the failing check is accepted — type one and press Enter', '예외 서명에는 실패를 받아들이는 사유가 필요합니다 — 입력 후 Enter');
    }
    const entry: ChecklistEntry = {
      type: 'signed',
      item: itemId,
      operator: this.actor,
      at: now.toISOString(),
      ...(failing ? { override: true } : {}),
      ...(note ? { note } : {}),
      ...(auto ? { auto: auto.status, autoDetail: auto.detail.en } : {}),
    };
    const res = this.write(inst, entry);
    if (!res.ok) return res;
    this.emit({ type: 'signed', ...this.base(inst, def), item: { id: itemId, text: item.text }, operator: this.actor, at: now, ...(failing ? { override: true } : {}), ...(note ? { note } : {}) });
    return { ok: true };
  }

  note(instanceId: string, itemId: string, text: string): ChecklistResult {
    const found = this.locate(instanceId, itemId);
    if (!found.ok) return found;
    const clean = cleanText(text);
    if (!clean) return fail('a note cannot be empty — type it and press Enter, or Esc to cancel', '메모가 비어 있습니다 — 입력 후 Enter, 취소는 Esc');
    const now = this.opts.clock.now();
    const res = this.write(found.inst, { type: 'note', item: itemId, operator: this.actor, at: now.toISOString(), text: clean });
    if (!res.ok) return res;
    this.emit({ type: 'note', ...this.base(found.inst, found.def), item: { id: itemId, text: found.item.text }, operator: this.actor, at: now, note: clean });
    return { ok: true };
  }

  undo(instanceId: string, itemId: string): ChecklistResult {
    const found = this.locate(instanceId, itemId);
    if (!found.ok) return found;
    if (!replayItems(found.inst.entries).get(itemId)?.signed) {
      return fail('nothing to undo — this item is not signed', '취소할 서명이 없습니다 — 서명되지 않은 항목입니다');
    }
    const now = this.opts.clock.now();
    const res = this.write(found.inst, { type: 'undone', item: itemId, operator: this.actor, at: now.toISOString() });
    if (!res.ok) return res;
    this.emit({ type: 'undone', ...this.base(found.inst, found.def), item: { id: itemId, text: found.item.text }, operator: this.actor, at: now });
    return { ok: true };
  }

  // --- helpers ---------------------------------------------------------------------------------

  private base(inst: Instance, def: ChecklistDefinition) {
    return { instanceId: inst.id, checklistId: def.id, title: def.title, target: inst.header.target, incidentId: inst.header.incidentId };
  }

  private locate(instanceId: string, itemId: string) {
    // Another console may have signed a moment ago: decide on what is on disk now.
    if (this.refresh()) this.rebuild();
    const inst = this.instances.get(instanceId);
    const where = this.opts.shared?.where ?? this.opts.dir;
    if (!inst) return fail(`no checklist instance ${instanceId} in ${where}`, `${where}에 체크리스트 ${instanceId} 없음`);
    const def = this.defs.get(inst.header.checklist);
    if (!def) return fail(`checklist "${inst.header.checklist}" is no longer defined`, `체크리스트 "${inst.header.checklist}" 정의가 없습니다`);
    for (const section of def.sections) {
      const item = section.items.find((i) => i.id === itemId);
      if (item) return { ok: true as const, inst, def, section, item };
    }
    return fail(`no item "${itemId}" in checklist "${def.id}"`, `체크리스트 "${def.id}"에 항목 "${itemId}" 없음`);
  }

  private write(inst: Instance, entry: ChecklistEntry): ChecklistResult {
    try {
      this.appendOne(inst.id, entry);
    } catch (err) {
      return this.writeFailed(err);
    }
    this.refresh();
    this.rebuild();
    return { ok: true };
  }

  private writeFailed(err: unknown): { ok: false; error: Localized } {
    const msg = (err as Error).message;
    if (this.opts.shared) return fail(`not recorded: ${msg} — sign again when it answers`, `기록 안 됨: ${msg} — 응답하면 다시 서명하세요`);
    return fail(
      `not recorded: cannot write to ${this.opts.dir} (${msg}) — check that the state directory is writable, then sign again`,
      `기록 안 됨: ${this.opts.dir}에 쓸 수 없음 (${msg}) — 상태 디렉터리 쓰기 권한을 확인하고 다시 서명하세요`,
    );
  }

  private emit(e: ChecklistEvent): void {
    for (const l of [...this.eventListeners]) {
      try {
        l(e);
      } catch {
        // a listener's bug must not undo a recorded sign-off
      }
    }
  }

  private checkBackups(): void {
    const backups = this.opts.backups;
    if (!backups) return;
    const hosts = new Set<string>();
    for (const inst of this.instances.values()) {
      const def = this.defs.get(inst.header.checklist);
      if (!def || !def.sections.some((s) => s.items.some((i) => i.auto?.check === 'backups_present'))) continue;
      const items = replayItems(inst.entries);
      const open = def.sections.some((s) => s.items.some((i) => !items.get(i.id)?.signed));
      if (!open) continue;
      for (const h of this.opts.scopeOf(inst.header.target).hosts) hosts.add(h);
    }
    for (const host of hosts) {
      if (this.backupsInFlight.has(host)) continue;
      this.backupsInFlight.add(host);
      backups
        .check(host)
        .then(
          (fact) => {
            if (fact) this.backupFacts[host] = fact;
          },
          () => undefined,
        )
        .finally(() => {
          this.backupsInFlight.delete(host);
          this.rebuild();
        });
    }
  }
}

export function createChecklistStore(opts: ChecklistStoreOptions): ChecklistStore {
  return new ChecklistStore(opts);
}
