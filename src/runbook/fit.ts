// Which runbooks fit which target (issue 12 item 1). A runbook with a service target may declare
// `fits:` — kinds of service it was written for (`orchestrator`, `pm2`, `sqlite+compose` for a
// service that is both). Services say what they are with `kind:` in the config (default
// `systemd`). The engine refuses a run on a target the runbook does not fit, saying why; the
// picker, the recommendation and the parameter form offer only fitting targets.
import { DEFAULT_SERVICE_KIND, type Config, type ServiceConfig } from '../config/schema';
import type { Localized, Recommendation } from '../core/views';
import type { Runbook } from './schema';

type ServiceLike = Pick<ServiceConfig, 'name'> & { kind?: string | string[] };

/** A service's kinds, normalised to a list (config objects built in code may lack kind). */
export function serviceKinds(service: ServiceLike): string[] {
  const k = service.kind;
  if (k === undefined) return [DEFAULT_SERVICE_KIND];
  return Array.isArray(k) ? k : [k];
}

/** One `fits:` entry as its kinds: "sqlite+compose" → ["sqlite", "compose"]. */
export function fitKinds(entry: string): string[] {
  return entry.split('+');
}

/** "an orchestrator service", "a sqlite+compose service", "a pm2 or git service". */
export function describeFits(fits: readonly string[]): string {
  const words = fits.map((f) => fitKinds(f).join(' + '));
  const list = words.length <= 2 ? words.join(' or ') : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
  return `${article(list)} ${list} service`;
}

/** "an orchestrator", "an nginx", "a pm2". */
function article(word: string): string {
  return /^([aeio]|nginx)/.test(word) ? 'an' : 'a';
}

function describeKinds(kinds: readonly string[]): string {
  const list = kinds.join(' + ');
  return `${article(list)} ${list}`;
}

/** Does a service of these kinds fit the runbook? */
export function kindsFit(fits: readonly string[] | undefined, kinds: readonly string[]): boolean {
  if (!fits || fits.length === 0) return true;
  return fits.some((entry) => fitKinds(entry).every((k) => kinds.includes(k)));
}

/**
 * Why this runbook does not fit this service, in the operator's words
 * (`l2-service-reset fits an orchestrator service; caddy is a proxy`), or undefined when it fits.
 */
export function fitProblem(runbook: Pick<Runbook, 'id' | 'fits' | 'target'>, service: ServiceLike): string | undefined {
  if (runbook.target !== 'service') return undefined;
  const kinds = serviceKinds(service);
  if (kindsFit(runbook.fits, kinds)) return undefined;
  // A service without kind: is a plain unit: say where its kind is set.
  const what = kinds.length === 1 && kinds[0] === DEFAULT_SERVICE_KIND ? 'a plain systemd service (set kind: in the config)' : describeKinds(kinds);
  return `${runbook.id} fits ${describeFits(runbook.fits ?? [])}; ${service.name} is ${what}`;
}

/** Why the runbook does not fit the named target (a service in the config), or undefined. */
export function targetMisfit(runbook: Pick<Runbook, 'id' | 'fits' | 'target'>, config: Pick<Config, 'services'>, target: string): string | undefined {
  if (runbook.target !== 'service') return undefined;
  const service = config.services.find((s) => s.name === target);
  return service ? fitProblem(runbook, service) : undefined;
}

/** The config's targets a runbook fits, in config order: services of a fitting kind, or every host. */
export function fittingTargets(runbook: Pick<Runbook, 'id' | 'fits' | 'target'>, config: Pick<Config, 'services' | 'hosts'>): string[] {
  if (runbook.target === 'host') return config.hosts.map((h) => h.name);
  return config.services.filter((s) => fitProblem(runbook, s) === undefined).map((s) => s.name);
}

/** Enough of a runbook to choose a fitting one for a recommendation. */
export type FitRunbook = Pick<Runbook, 'id' | 'fits' | 'target' | 'level' | 'title' | 'params'>;

const LEVELS = ['L1', 'L2', 'L3'] as const;

/**
 * The recommendation made fit (issue 12 item 1): the symptom table speaks of levels, the
 * runbook must fit the target. Kept when it fits; moved to the orchestrator when the target is
 * that orchestrator's proxy and the runbook fits the orchestrator (L2 on caddy resets the stack
 * behind it); otherwise the lowest-level runbook at or above the level that fits the target
 * (a pm2 app's L1 is pm2-restart), one that needs no listed pick before one that does
 * (postgres-restart before postgres-restore). Undefined when nothing fits.
 */
export function fitRecommendation(
  rec: Recommendation,
  config: Pick<Config, 'services'>,
  runbooks: ReadonlyMap<string, FitRunbook>,
): Recommendation | undefined {
  const runbook = runbooks.get(rec.runbook);
  const service = config.services.find((s) => s.name === rec.target);
  if (!runbook || runbook.target === 'host' || !service || !fitProblem(runbook, service)) return rec;
  const retitle = (rb: FitRunbook, target: string, level: Recommendation['level'], note?: Localized): Recommendation => {
    const cut = (text: string) => (text.includes(' → ') ? text.slice(0, text.lastIndexOf(' → ')) : text);
    const extra = (lang: 'ko' | 'en') => (note ? ` (${note[lang]})` : '');
    return { level, runbook: rb.id, target, reason: { ko: `${cut(rec.reason.ko)}${extra('ko')} → ${rb.title.ko}`, en: `${cut(rec.reason.en)}${extra('en')} → ${rb.title.en}` } };
  };
  const behind = config.services.find((s) => s.proxy === service.name && !fitProblem(runbook, s));
  if (behind) return retitle(runbook, behind.name, rec.level, { ko: `${service.name}은(는) ${behind.name}의 프록시`, en: `${service.name} is ${behind.name}'s proxy` });
  const needsPick = (rb: FitRunbook) => Object.values(rb.params).some((p) => p.choices_from !== undefined || (p.default === undefined && !p.choices));
  const from = LEVELS.indexOf(rec.level);
  for (const level of LEVELS.slice(from < 0 ? 0 : from)) {
    const fitting = [...runbooks.values()]
      .filter((rb) => rb.level === level && rb.target === 'service' && !fitProblem(rb, service))
      .sort((a, b) => Number(needsPick(a)) - Number(needsPick(b)) || a.id.localeCompare(b.id));
    if (fitting.length) return retitle(fitting[0], service.name, level);
  }
  return undefined;
}
