// POST /api/alertmanager (R-MON-2): Alertmanager's webhook (payload version 4) into the server's
// alerts store, beside the console's own alerts: shown with their source, recorded in
// alerts.jsonl (so the wall screen and the incident timeline have them), mapped to symptoms for
// the level recommendation (alertmanager.symptoms), and opening an incident when none is open.
//
// Checked before anything is applied, in this order: bearer token (401), declared size (413),
// body read up to max_body_bytes (413), JSON (400), payload shape (400). A post is applied whole
// or not at all.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { AlertmanagerConfig, AmSymptomRule } from '../config/alertmanager';
import type { AlertsStoreHandle, ExternalAlert } from '../health/alerts-store';
import type { Severity } from '../core/views';
import type { ServerLog } from './log';

export const ALERTMANAGER_PATH = '/api/alertmanager';
/** Alerts in one post, at most (Alertmanager's max_alerts is 0 = all by default). */
export const MAX_ALERTS_PER_POST = 20_000;

const labels = z.record(z.string().max(1000), z.string().max(10_000));
const isoDate = z.string().max(64).refine((s) => !Number.isNaN(Date.parse(s)), { message: 'not a date' });

const payloadSchema = z.object({
  version: z.literal('4', { message: 'only webhook payload version "4" is understood' }),
  status: z.enum(['firing', 'resolved']).optional(),
  alerts: z
    .array(
      z.object({
        status: z.enum(['firing', 'resolved']),
        labels,
        annotations: labels.default({}),
        startsAt: isoDate,
        endsAt: isoDate.optional(),
        fingerprint: z.string().min(1).max(200).optional(),
      }),
    )
    .max(MAX_ALERTS_PER_POST, `at most ${MAX_ALERTS_PER_POST} alerts in one post`),
});

type AmAlert = z.infer<typeof payloadSchema>['alerts'][number];

export interface AlertmanagerReceiverOptions {
  config: AlertmanagerConfig;
  alerts: AlertsStoreHandle;
  incidents?: {
    openForAlert(title: string, severity: Severity, source: string): { id: string; opened: boolean };
    alertsCleared?(id: string, source: string): void;
    alertsBack?(id: string): void;
  };
  /** Configured hosts and services: a symptom about anything else is not fed to the recommendation. */
  hosts: readonly string[];
  services: readonly string[];
  env?: NodeJS.ProcessEnv;
  log: ServerLog;
  /** Counts posts by the status answered. */
  count?(status: number): void;
}

/** Control characters out, bounded: label values reach the screen. */
function clean(s: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const t = s.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

function fingerprintOf(a: AmAlert): string {
  if (a.fingerprint) return a.fingerprint;
  const sorted = Object.keys(a.labels)
    .sort()
    .map((k) => `${k}=${a.labels[k]}`)
    .join('\u0000');
  return createHash('sha256').update(sorted).digest('hex').slice(0, 16);
}

function matches(rule: AmSymptomRule, l: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(rule.match)) if (l[k] !== v) return false;
  for (const [k, re] of Object.entries(rule.match_re)) if (!new RegExp(`^(?:${re})$`).test(l[k] ?? '')) return false;
  return true;
}

function tokenEquals(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function answer(res: ServerResponse, status: number, body: Record<string, unknown>, close = false): void {
  res.writeHead(status, { 'content-type': 'application/json', ...(close ? { connection: 'close' } : {}) });
  res.end(JSON.stringify(body) + '\n');
}

/** Reads the body up to max bytes; undefined when it is bigger (the rest is discarded, bounded). */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (over) {
        // Discard, but not forever: a client that keeps sending is cut off.
        if (size > max * 4) req.destroy();
        return;
      }
      if (size > max) {
        over = true;
        chunks.length = 0;
        resolve(undefined);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (!over) reject(err);
    });
  });
}

export function alertmanagerReceiver(opts: AlertmanagerReceiverOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const env = opts.env ?? process.env;
  const { config, log } = opts;
  const hosts = new Set(opts.hosts);
  const services = new Set(opts.services);
  const tokenAtStart = env[config.token_env]?.trim();
  if (!tokenAtStart) log('warn', `alertmanager: environment variable ${config.token_env} is not set — POST ${ALERTMANAGER_PATH} answers 503 until the server is restarted with it`);
  const reply = (res: ServerResponse, status: number, body: Record<string, unknown>, close = false) => {
    opts.count?.(status);
    answer(res, status, body, close);
  };

  const symptomFor = (l: Record<string, string>): ExternalAlert['symptom'] => {
    const rule = config.symptoms.find((r) => matches(r, l));
    if (!rule) return undefined;
    const target = rule.target ?? l[rule.target_label ?? (rule.symptom === 'host_unreachable' ? 'host' : 'service')];
    if (!target) return undefined;
    if (rule.symptom === 'host_unreachable' && !hosts.has(target)) return undefined;
    if (rule.symptom === 'db_failing' && !services.has(target)) return undefined;
    return { kind: rule.symptom, target };
  };

  // The incident Alertmanager's alerts opened and the alerts firing in it: when they have all
  // resolved, the incident resolves (after the settle time); one firing again undoes that.
  let opened: { id: string; keys: Set<string> } | undefined;

  return async (req, res) => {
    const token = tokenAtStart;
    if (!token) {
      req.resume();
      reply(res, 503, { error: `receiver has no token: set ${config.token_env} and restart the server` });
      return;
    }
    const auth = req.headers.authorization ?? '';
    const m = /^Bearer (.+)$/i.exec(auth);
    if (!m || !tokenEquals(m[1].trim(), token)) {
      req.resume();
      log('warn', `alertmanager: refused a post from ${req.socket.remoteAddress ?? '?'}: ${m ? 'wrong' : 'no'} bearer token`);
      reply(res, 401, { error: m ? 'wrong bearer token' : 'a bearer token is required (Authorization: Bearer …)' });
      return;
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > config.max_body_bytes) {
      req.resume();
      reply(res, 413, { error: `body of ${declared} bytes is over alertmanager.max_body_bytes (${config.max_body_bytes}): nothing applied` }, true);
      return;
    }
    const body = await readBody(req, config.max_body_bytes);
    if (!body) {
      reply(res, 413, { error: `body is over alertmanager.max_body_bytes (${config.max_body_bytes}): nothing applied` }, true);
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (err) {
      reply(res, 400, { error: `malformed JSON: ${clean((err as Error).message, 200)} — nothing applied` });
      return;
    }
    const parsed = payloadSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? issue.path.join('.') : 'payload';
      reply(res, 400, { error: `not an Alertmanager webhook payload: ${where}: ${issue?.message ?? 'invalid'} — nothing applied` });
      return;
    }
    // Everything checked: build the whole batch, then apply it in one go.
    const batch: ExternalAlert[] = parsed.data.alerts.map((a) => {
      const name = clean(a.labels.alertname ?? 'alertmanager', 80) || 'alertmanager';
      const subject = clean(a.labels.service ?? a.labels.host ?? a.labels.instance ?? a.labels.job ?? '', 80) || '—';
      const summary = a.annotations.summary ?? a.annotations.description ?? a.annotations.message;
      const message = clean(summary ?? Object.entries(a.labels).filter(([k]) => k !== 'alertname').map(([k, v]) => `${k}=${v}`).join(' '), 300) || name;
      const symptom = a.status === 'firing' ? symptomFor(a.labels) : undefined;
      return { key: `alertmanager:${fingerprintOf(a)}`, rule: name, subject, message, status: a.status, startsAt: new Date(a.startsAt), ...(symptom ? { symptom } : {}) };
    });
    const known = new Set(opts.alerts.getSnapshot().alerts.filter((a) => a.state === 'firing').map((a) => a.key));
    const fresh = batch.filter((a) => a.status === 'firing' && !known.has(a.key));
    // The incident first, so the alerts' own "fired" entries land in its timeline.
    let incident = '';
    if (fresh.length && config.open_incidents && opts.incidents) {
      const first = parsed.data.alerts.find((a) => `alertmanager:${fingerprintOf(a)}` === fresh[0].key);
      const severity: Severity = first?.labels.severity === 'critical' ? 'P1' : 'P2';
      const title = `${fresh[0].rule} ${fresh[0].subject}${fresh.length > 1 ? ` (+${fresh.length - 1} more)` : ''}`;
      const r = opts.incidents.openForAlert(title, severity, 'alertmanager');
      if (r.opened) {
        incident = r.id;
        opened = { id: r.id, keys: new Set() };
      }
    }
    const result = opts.alerts.receiveExternal('alertmanager', batch);
    if (opened && opts.incidents) {
      const wasEmpty = opened.keys.size === 0;
      for (const a of result.fired) opened.keys.add(a.key);
      for (const a of batch) if (a.status === 'resolved') opened.keys.delete(a.key);
      // Firing again after they had all resolved: not resolved after all.
      if (wasEmpty && !incident && opened.keys.size > 0) opts.incidents.alertsBack?.(opened.id);
      if (!wasEmpty && opened.keys.size === 0) opts.incidents.alertsCleared?.(opened.id, 'alertmanager');
    }
    log('info', `alertmanager: ${batch.length} alert${batch.length === 1 ? '' : 's'} — ${result.fired.length} new firing, ${result.repeated} still firing, ${result.resolved} resolved${result.unknown ? `, ${result.unknown} resolved but never seen firing` : ''}${incident ? `; opened incident ${incident}` : ''}`);
    reply(res, 200, { fired: result.fired.length, repeated: result.repeated, resolved: result.resolved, unknown: result.unknown, ...(incident ? { incident } : {}) });
  };
}
