// Turns a runbook's steps into the exact commands, URLs and hosts of one run, before anything
// runs: a bad unit name, a missing health_url or an unknown host refuses the start with a
// message instead of failing half-way through a recovery (R-RUN-8).
import type { Config, HostConfig, ServiceConfig } from '../config/schema';
import { unitName } from '../config/schema';
import { fitProblem, serviceKinds } from './fit';
import { renderTemplate, SHELL_INERT_VARS } from './template';
import { shellQuote } from '../ssh/quote';
import { resolveParamValues, type ResolveParamsContext, type ResolvedParams } from './params';
import type { Runbook, Step } from './schema';

export interface RunScope {
  targetKind: 'service' | 'host';
  service?: ServiceConfig;
  /** The target's host (the service's host for a service target), if it is in the config. */
  host?: HostConfig;
  /** Why `host` is missing, said when a step needs it. */
  hostProblem?: string;
  /** Every service in the config: roles (the target's proxy, the host's orchestrator) are looked up here. */
  services?: readonly ServiceConfig[];
  run: { stamp: string; id: string; operator: string };
  params: Record<string, string>;
  hosts: Map<string, HostConfig>;
}

export type ScopeResult = { ok: true; scope: Omit<RunScope, 'run' | 'params'> } | { ok: false; error: string };

/** Finds the target in the config. */
export function resolveTarget(config: Config, runbook: Runbook, target: string): ScopeResult {
  const hosts = new Map(config.hosts.map((h) => [h.name, h] as const));
  if (runbook.target === 'service') {
    const service = config.services.find((s) => s.name === target);
    if (!service) {
      const names = config.services.map((s) => s.name);
      return { ok: false, error: `no service named "${target}" in the config; ${runbook.id} targets a service (${names.length ? `known: ${names.join(', ')}` : 'the config lists none'})` };
    }
    const misfit = fitProblem(runbook, service);
    if (misfit) return { ok: false, error: misfit };
    const host = hosts.get(service.host);
    return { ok: true, scope: { targetKind: 'service', service, host, hosts, services: config.services, hostProblem: host ? undefined : `service "${service.name}" runs on host "${service.host}", which is not under hosts: in the config; add it` } };
  }
  const host = hosts.get(target);
  if (!host) {
    const names = [...hosts.keys()];
    return { ok: false, error: `no host named "${target}" in the config; ${runbook.id} targets a host (${names.length ? `known: ${names.join(', ')}` : 'the config lists none'})` };
  }
  return { ok: true, scope: { targetKind: 'host', host, hosts, services: config.services } };
}

/** Parameter values from defaults, the operator's input and the target's listings, each checked against its type (src/runbook/params.ts). */
export function resolveParams(runbook: Runbook, given: Record<string, string> = {}, ctx: ResolveParamsContext = {}): ResolvedParams {
  return resolveParamValues(runbook, given, ctx);
}

/** The value of one template reference, or an Error saying why there is none. */
export function resolveRef(ref: string, scope: RunScope): string {
  const [root, name] = ref.split('.');
  if (root === 'params') {
    const v = scope.params[name];
    if (v === undefined) throw new Error(`parameter "${name}" has no value`);
    return v;
  }
  if (root === 'run') {
    const v = (scope.run as Record<string, string>)[name];
    if (v === undefined) throw new Error(`unknown template variable {{${ref}}}`);
    return v;
  }
  if (root === 'service') {
    const s = scope.service;
    if (!s) throw new Error(`{{${ref}}} needs a service target`);
    if (name === 'unit') return checkedUnit(s);
    if (name === 'kind') return serviceKinds(s).join(',');
    if (name === 'proxy_unit') {
      if (s.proxy === undefined) throw new Error(`service "${s.name}" has no proxy; add proxy: <the name of its proxy service> to it in the config`);
      const proxy = scope.services?.find((o) => o.name === s.proxy);
      if (!proxy) throw new Error(`service "${s.name}": its proxy "${s.proxy}" is not under services: in the config`);
      return checkedUnit(proxy);
    }
    const v = (s as Record<string, unknown>)[name];
    if (v === undefined || v === null || v === '') throw new Error(`service "${s.name}" has no ${name}; add ${name}: to it in the config`);
    return String(v);
  }
  if (root === 'host') {
    const h = scope.host;
    if (!h) throw new Error(scope.hostProblem ?? `{{${ref}}} needs a host`);
    // The provider's instance id (for "reboot it in the provider console" texts).
    if (name === 'instance_id') {
      if (!h.provider) throw new Error(`host "${h.name}" has no provider; add provider: (kind, instance_id, api_key_env) to it in the config`);
      return h.provider.instance_id;
    }
    if (name === 'orchestrator_unit' || name === 'proxy_unit') {
      const orchestrators = (scope.services ?? []).filter((o) => o.host === h.name && serviceKinds(o).includes('orchestrator'));
      if (orchestrators.length !== 1) throw new Error(`host "${h.name}" has ${orchestrators.length ? `${orchestrators.length} services of kind orchestrator (${orchestrators.map((o) => o.name).join(', ')})` : 'no service of kind orchestrator'}; give the units as parameters`);
      const orchestrator = orchestrators[0];
      if (name === 'orchestrator_unit') return checkedUnit(orchestrator);
      return resolveRef('service.proxy_unit', { ...scope, service: orchestrator });
    }
    const v = (h as Record<string, unknown>)[name];
    if (v === undefined || v === null || v === '') throw new Error(`host "${h.name}" has no ${name}; add ${name}: to it in the config`);
    return String(v);
  }
  throw new Error(`unknown template variable {{${ref}}}`);
}

/** A service's unit, checked again: config objects can come from elsewhere (demo, tests), and a unit reaches a root shell (R-RUN-8). */
function checkedUnit(s: ServiceConfig): string {
  if (s.unit === undefined) throw new Error(`service "${s.name}" has no unit; add unit: to it in the config`);
  if (!unitName.safeParse(s.unit).success) {
    throw new Error(`service "${s.name}": unit ${JSON.stringify(s.unit)} is not a valid systemd unit name (letters, digits and ":-_.\\@" only); fix unit: in the config`);
  }
  return s.unit;
}

function renderField(key: string, value: string, scope: RunScope): string {
  const resolve = (ref: string) => resolveRef(ref, scope);
  if (key === 'run') return renderTemplate(value, resolve, 'shell');
  // Localized text (messages, prompts): a `command span` in it is quoted like a step.
  if (key === 'en' || key === 'ko') return renderMessageTemplate(value, resolve);
  const out = renderTemplate(value, resolve, 'raw');
  if (key === 'url') {
    let u: URL;
    try {
      u = new URL(out);
    } catch {
      throw new Error(`url ${JSON.stringify(out)} is not a URL; it must start with http:// or https://`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`url ${JSON.stringify(out)} must start with http:// or https://`);
  }
  if (key === 'host' && !scope.hosts.has(out)) {
    throw new Error(`host ${JSON.stringify(out)} is not under hosts: in the config (known: ${[...scope.hosts.keys()].join(', ') || 'none'})`);
  }
  return out;
}

function renderValue(value: unknown, key: string, scope: RunScope): unknown {
  if (typeof value === 'string') return renderField(key, value, scope);
  if (Array.isArray(value)) return value.map((v) => renderValue(v, key, scope));
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      // Titles and ids are display text and names: never templated.
      out[k] = k === 'id' || k === 'kind' || k === 'audit' ? v : renderValue(v, k, scope);
    }
    // ssh steps and checks (and the other kinds that act on a host) run on the target's host
    // unless they name another.
    if (typeof obj.kind === 'string' && HOST_KINDS.has(obj.kind) && out.host === undefined) {
      if (!scope.host) throw new Error(scope.hostProblem ?? 'this step needs a host; name one with host:');
      out.host = scope.host.name;
    }
    return out;
  }
  return value;
}

const HOST_KINDS = new Set(['ssh', 'snapshot', 'provider-reboot', 'ssh-connect', 'host-health']);

/**
 * Why a step does not run for this target (its `when:` / `unless:` condition), or undefined when
 * it runs. Said in the step's row and in the dry-run plan.
 */
export function skipReason(step: Step, scope: Pick<RunScope, 'host'>): string | undefined {
  const holds = (cond: string): boolean => (cond === 'host.provider' ? scope.host?.provider !== undefined : false);
  const what = (cond: string): string => (cond === 'host.provider' ? 'a provider API is configured for the host' : cond);
  if (step.when && !holds(step.when)) return `skipped: only when ${what(step.when)} (it is not)`;
  if (step.unless && holds(step.unless)) return `skipped: ${what(step.unless)}`;
  return undefined;
}

/** Every step with its templates filled in; throws `step "id": why` on the first problem. */
export function renderSteps(runbook: Runbook, scope: RunScope): Step[] {
  return runbook.steps.map((step) => {
    // A step that will be skipped is not rendered: its templates may need what is missing
    // (the manual-reboot text's instance id when there is no provider, and the reverse).
    if (skipReason(step, scope)) return step;
    try {
      return renderValue(step, '', scope) as Step;
    } catch (err) {
      throw new Error(`step "${step.id}": ${(err as Error).message}`);
    }
  });
}

/**
 * Renders a localized text (success/failure message); the text itself on error. Values are shown
 * raw, except inside a `command span` (between backticks): a command given to paste into a shell,
 * where each value is shell-quoted as in a step (a path holding a space or a ' stays one word).
 */
export function renderText(text: string, scope: RunScope): string {
  try {
    return renderMessageTemplate(text, (ref) => resolveRef(ref, scope));
  } catch {
    return text;
  }
}

/** Plain names and numbers stay bare in a command span; anything else is quoted. */
const BARE_WORD = /^[A-Za-z0-9_.:@%+=,-]+$/;

export function renderMessageTemplate(text: string, resolve: (ref: string) => string): string {
  const spans = text.split('`');
  // An unpaired backtick is text, not the start of a command.
  const paired = spans.length % 2 === 1 ? spans.length : spans.length - 1;
  return spans
    .map((span, i) => {
      const command = i % 2 === 1 && i < paired;
      const rendered = command
        ? renderTemplate(span, (ref) => {
            const value = resolve(ref);
            return SHELL_INERT_VARS.has(ref) && BARE_WORD.test(value) ? value : shellQuote(value);
          }, 'raw')
        : renderTemplate(span, resolve, 'raw');
      return i === 0 ? rendered : '`' + rendered;
    })
    .join('');
}
