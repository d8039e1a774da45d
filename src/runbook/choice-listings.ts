// What the target listed for a choices_from parameter (backups, commits, versions), kept so that
// start() checks a pick against it or takes its first entry (default: first). A listing is kept
// by the values of the earlier parameters its command uses (backup_dir, as_of, …): a start whose
// values differ never uses it, and says the listing is stale instead of restoring a backup that
// was chosen for another point in time or another directory.
import type { Runbook } from './schema';
import { templateRefs } from './template';

/** How long a listing stays good for start(): long enough to read it, short enough to be current. */
export const CHOICES_TTL_MS = 15 * 60_000;
/** Listings kept at once (each is one parameter's list for one set of input values). */
const MAX_LISTINGS = 256;

type ChoicesFrom = NonNullable<Runbook['params'][string]['choices_from']>;

/** The earlier parameters the listing's command and host use, with their values, in a fixed order. */
export function listingInputs(from: ChoicesFrom, earlier: Record<string, string>): Record<string, string> {
  const used = new Set<string>();
  for (const text of [from.run, from.host ?? '']) {
    for (const ref of templateRefs(text)) {
      const [root, key] = ref.split('.');
      if (root === 'params' && key) used.add(key);
    }
  }
  return Object.fromEntries([...used].sort().map((k) => [k, earlier[k] ?? '']));
}

interface Listing {
  values: string[];
  at: number;
  inputs: Record<string, string>;
}

export class ChoiceListings {
  private readonly byKey = new Map<string, Listing>();

  constructor(private readonly now: () => number = Date.now) {}

  private prefix(runbookId: string, target: string, param: string): string {
    return `${runbookId}\u0000${target}\u0000${param}\u0000`;
  }

  private key(runbookId: string, target: string, param: string, inputs: Record<string, string>): string {
    return this.prefix(runbookId, target, param) + JSON.stringify(Object.entries(inputs));
  }

  remember(runbookId: string, target: string, param: string, from: ChoicesFrom, earlier: Record<string, string>, values: string[]): void {
    const inputs = listingInputs(from, earlier);
    const key = this.key(runbookId, target, param, inputs);
    const now = this.now();
    for (const [k, v] of this.byKey) if (now - v.at >= CHOICES_TTL_MS) this.byKey.delete(k);
    this.byKey.delete(key);
    this.byKey.set(key, { values, at: now, inputs });
    // Bounded: the oldest listings go first (a Map iterates in insertion order).
    for (const k of this.byKey.keys()) {
      if (this.byKey.size <= MAX_LISTINGS) break;
      this.byKey.delete(k);
    }
  }

  /** The live listing made with these values of the parameters its command uses, if any. */
  get(runbookId: string, target: string, param: string, from: ChoicesFrom, earlier: Record<string, string>): string[] | undefined {
    const hit = this.byKey.get(this.key(runbookId, target, param, listingInputs(from, earlier)));
    return hit && this.now() - hit.at < CHOICES_TTL_MS ? hit.values : undefined;
  }

  /**
   * When there is no listing for these values but a live one made with others: which values
   * differ, e.g. `as_of="2025-01-19 23:00" (now "2025-01-20 12:00")`.
   */
  stale(runbookId: string, target: string, param: string, from: ChoicesFrom, earlier: Record<string, string>): string | undefined {
    if (this.get(runbookId, target, param, from, earlier)) return undefined;
    const prefix = this.prefix(runbookId, target, param);
    const now = this.now();
    let newest: Listing | undefined;
    for (const [k, v] of this.byKey) {
      if (k.startsWith(prefix) && now - v.at < CHOICES_TTL_MS && (!newest || v.at >= newest.at)) newest = v;
    }
    if (!newest) return undefined;
    const inputs = listingInputs(from, earlier);
    const differ = Object.keys(inputs).filter((n) => newest!.inputs[n] !== inputs[n]);
    if (differ.length === 0) return undefined;
    return differ.map((n) => `${n}=${JSON.stringify(newest!.inputs[n] ?? '')} (now ${JSON.stringify(inputs[n])})`).join(', ');
  }
}
