// Runbook templates: `{{service.unit}}`, `{{host.address}}`, `{{run.stamp}}`, `{{params.X}}`.
// In shell commands every substituted value is single-quoted (R-RUN-8): the literal text around
// it is trusted runbook text (globs, pipes), a value from config or parameters never is.
import { shellQuote } from '../ssh/quote';

/** Variables a runbook may use, by root. `params.*` is checked against the runbook's params. */
export const TEMPLATE_VARS = {
  // proxy_unit: the unit of the service named by the target's proxy: (its role in the config).
  // kind: the service's kinds joined by commas (`uvicorn,compose`), for a step that acts per kind.
  service: ['name', 'unit', 'host', 'health_url', 'websocket_url', 'app_dir', 'proxy_unit', 'kind'],
  // orchestrator_unit / proxy_unit: the units of the host's orchestrator service and its proxy.
  host: ['name', 'address', 'user', 'port', 'snapshot_dir', 'backup_dir', 'instance_id', 'orchestrator_unit', 'proxy_unit'],
  run: ['stamp', 'id', 'operator'],
} as const;

const REF = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\s*\}\}/g;

export interface TemplatePart {
  literal: string;
  ref?: string;
}

/** Splits a template into literal text and references; throws on a `{{` that is not a reference. */
export function parseTemplate(text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const m of text.matchAll(REF)) {
    const literal = text.slice(last, m.index);
    if (literal.includes('{{') || literal.includes('}}')) throw new Error(`malformed template near ${JSON.stringify(literal.slice(literal.indexOf('{{')))}: write {{root.name}}`);
    parts.push({ literal, ref: m[1] });
    last = m.index! + m[0].length;
  }
  const tail = text.slice(last);
  if (tail.includes('{{') || tail.includes('}}')) throw new Error(`malformed template near ${JSON.stringify(tail.slice(Math.max(0, tail.indexOf('{{'))))}: write {{root.name}}`);
  parts.push({ literal: tail });
  return parts;
}

export function templateRefs(text: string): string[] {
  return parseTemplate(text)
    .map((p) => p.ref)
    .filter((r): r is string => r !== undefined);
}

/**
 * Why a reference cannot be used in a runbook with this target kind and these params, or
 * undefined when it is fine. Checked when the runbook is loaded.
 */
export function checkRef(ref: string, targetKind: 'service' | 'host', params: readonly string[]): string | undefined {
  const [root, name, ...rest] = ref.split('.');
  const known = () => [...Object.entries(TEMPLATE_VARS).flatMap(([r, names]) => (targetKind === 'host' && r === 'service' ? [] : names.map((n) => `${r}.${n}`))), ...params.map((p) => `params.${p}`)].join(', ');
  if (rest.length || !name) return `unknown template variable {{${ref}}}; known: ${known()}`;
  if (root === 'params') return params.includes(name) ? undefined : `unknown parameter {{${ref}}}; declare it under params: (known: ${params.join(', ') || 'none'})`;
  if (root === 'service' && targetKind === 'host') return `{{${ref}}} needs a service target, but this runbook's target is a host`;
  const names = (TEMPLATE_VARS as Record<string, readonly string[]>)[root];
  if (!names || !names.includes(name)) return `unknown template variable {{${ref}}}; known: ${known()}`;
  return undefined;
}

export type RenderMode = 'shell' | 'raw';

/**
 * Renders a template. `resolve` returns a value or throws an Error saying why it cannot (missing
 * in config, fails validation). In shell mode every value is shell-quoted.
 */
export function renderTemplate(text: string, resolve: (ref: string) => string, mode: RenderMode): string {
  let out = '';
  for (const part of parseTemplate(text)) {
    out += part.literal;
    if (part.ref === undefined) continue;
    const value = resolve(part.ref);
    out += mode === 'shell' ? shellQuote(value) : value;
  }
  return out;
}

/** Config and run values that are names or numbers by construction (config names, ports, run ids). */
export const SHELL_INERT_VARS: ReadonlySet<string> = new Set(['service.name', 'service.host', 'host.name', 'host.port', 'run.stamp', 'run.id']);

/** Where in a shell command a placeholder sits, when it is not bare. */
export type QuotedContext = 'double quotes' | 'single quotes' | 'backticks' | '$(…)';

type Frame = 'single' | 'double' | 'backtick' | 'subst' | 'paren';

/**
 * For each reference of a `run:` template, the shell context its value lands in. A value is
 * single-quoted for the shell, which protects it only where it stands bare: inside double quotes
 * (or single quotes) those quotes are literal, so `$(…)` in the value runs; inside backticks or
 * `$(…)` it is parsed a second time. Undefined means bare. In the order the references appear.
 */
export function refContexts(text: string): { ref: string; context?: QuotedContext }[] {
  const stack: Frame[] = [];
  const top = () => stack[stack.length - 1];
  const out: { ref: string; context?: QuotedContext }[] = [];
  const scan = (literal: string) => {
    for (let i = 0; i < literal.length; i++) {
      const c = literal[i]!;
      const frame = top();
      if (frame === 'single') {
        if (c === "'") stack.pop();
        continue;
      }
      if (c === '\\') {
        i++;
        continue;
      }
      if (c === '$' && literal[i + 1] === '(') {
        stack.push('subst');
        i++;
        continue;
      }
      if (c === '`') {
        if (frame === 'backtick') stack.pop();
        else stack.push('backtick');
        continue;
      }
      if (frame === 'double') {
        if (c === '"') stack.pop();
        continue;
      }
      if (c === "'") stack.push('single');
      else if (c === '"') stack.push('double');
      else if (c === '(' && (frame === 'subst' || frame === 'paren')) stack.push('paren');
      else if (c === ')' && (frame === 'subst' || frame === 'paren')) stack.pop();
    }
  };
  for (const part of parseTemplate(text)) {
    scan(part.literal);
    if (part.ref === undefined) continue;
    const frames = new Set(stack);
    const context: QuotedContext | undefined = frames.has('double')
      ? 'double quotes'
      : top() === 'single'
        ? 'single quotes'
        : frames.has('backtick')
          ? 'backticks'
          : frames.has('subst')
            ? '$(…)'
            : undefined;
    out.push({ ref: part.ref, ...(context ? { context } : {}) });
  }
  return out;
}
