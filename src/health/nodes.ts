// Node sources (R-HLT-3): an HTTP endpoint lists the device nodes; the config maps its fields.
// Pure parsing and derivation here (tested without a network); the poller is nodes-store.ts.
import type { z } from 'zod';
import type { nodeSourceSchema } from '../config/schema';
import type { NodeView } from '../core/views';

export type NodeSourceConfig = z.infer<typeof nodeSourceSchema>;

/** A node as the source reported it, before "online" is decided against the clock. */
export interface ReportedNode {
  id: string;
  source: string;
  lastHeartbeat: Date | null;
  errorRate?: number;
  labels: string[];
}

export type NodeListResult =
  | { ok: true; nodes: ReportedNode[]; /** Entries without an id, left out. */ skipped: number }
  | { ok: false; error: string };

/** `a.b.c` inside a parsed JSON value; an empty path is the value itself. */
export function getPath(value: unknown, dotted: string): unknown {
  if (dotted === '') return value;
  let cur: unknown = value;
  for (const part of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/**
 * Heartbeats come as ISO 8601 text or epoch numbers. Numbers below 1e11 are seconds (until the
 * year 5138), larger ones milliseconds — the two encodings sources actually use.
 */
export function parseHeartbeat(value: unknown): Date | null {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return new Date(value < 1e11 ? value * 1000 : value);
  if (typeof value === 'string' && value.trim() !== '') {
    const text = value.trim();
    if (/^\d+(\.\d+)?$/.test(text)) return parseHeartbeat(Number(text));
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? null : new Date(ms);
  }
  return null;
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

/**
 * Error rate 0..1 from `error_rate` (a fraction; values above 1 are read as percent, "12 %"
 * style sources) or from errors / requests. No requests means no rate, not 0 %.
 */
export function errorRateOf(item: Record<string, unknown>, fields: NodeSourceConfig['fields']): number | undefined {
  if (fields.error_rate) {
    const raw = getPath(item, fields.error_rate);
    const text = typeof raw === 'string' ? raw.replace(/%\s*$/, '') : raw;
    const n = toNumber(text);
    if (n === undefined || n < 0) return undefined;
    const percent = n > 1 || (typeof raw === 'string' && /%\s*$/.test(raw));
    return Math.min(1, percent ? n / 100 : n);
  }
  if (fields.errors && fields.requests) {
    const errors = toNumber(getPath(item, fields.errors));
    const requests = toNumber(getPath(item, fields.requests));
    if (errors === undefined || requests === undefined || requests <= 0 || errors < 0) return undefined;
    return Math.min(1, errors / requests);
  }
  return undefined;
}

/** Labels as `a, b`, `["a","b"]` or `{rack: "a"}` (shown as rack=a). */
export function labelsOf(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/[,\s]+/).filter(Boolean);
  if (Array.isArray(value)) return value.filter((v) => typeof v === 'string' || typeof v === 'number').map(String);
  if (value && typeof value === 'object') return Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}=${String(v)}`);
  return [];
}

function describeShape(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') {
    const keys = Object.keys(value as object).slice(0, 5);
    return keys.length ? `an object with keys ${keys.join(', ')}` : 'an empty object';
  }
  return `a ${typeof value}`;
}

/** Maps a parsed response body to nodes using the source's list_path and fields. */
export function mapNodeList(body: unknown, source: NodeSourceConfig): NodeListResult {
  const list = getPath(body, source.list_path);
  if (!Array.isArray(list)) {
    const where = source.list_path === '' ? 'at the top level' : `at "${source.list_path}"`;
    return {
      ok: false,
      error: `no node list ${where} of the response (found ${describeShape(list)}): check node_sources.${source.name}.list_path`,
    };
  }
  const nodes: ReportedNode[] = [];
  let skipped = 0;
  for (const entry of list) {
    if (!entry || typeof entry !== 'object') {
      skipped++;
      continue;
    }
    const item = entry as Record<string, unknown>;
    const idRaw = getPath(item, source.fields.id);
    if ((typeof idRaw !== 'string' && typeof idRaw !== 'number') || String(idRaw) === '') {
      skipped++;
      continue;
    }
    const errorRate = errorRateOf(item, source.fields);
    nodes.push({
      id: String(idRaw),
      source: source.name,
      lastHeartbeat: parseHeartbeat(getPath(item, source.fields.last_heartbeat)),
      ...(errorRate !== undefined ? { errorRate } : {}),
      labels: source.fields.labels ? labelsOf(getPath(item, source.fields.labels)) : [],
    });
  }
  return { ok: true, nodes, skipped };
}

/** Offline = no heartbeat, or one older than offlineAfterMs (seed 000: 5 min). */
export function isOnline(node: Pick<ReportedNode, 'lastHeartbeat'>, now: number, offlineAfterMs: number): boolean {
  return node.lastHeartbeat !== null && now - node.lastHeartbeat.getTime() <= offlineAfterMs;
}

// The list's order lives in core (pure): attached consoles re-sort node deltas with it too.
export { compareNodes } from '../core/node-order';

/** True when a node matches an operator's filter text: every word in its id, source or labels. */
export function nodeMatches(node: Pick<NodeView, 'id' | 'source' | 'labels'>, filter: string): boolean {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const hay = `${node.id} ${node.source} ${node.labels.join(' ')}`.toLowerCase();
  return words.every((w) => hay.includes(w));
}
