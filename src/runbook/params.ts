// Typed runbook parameters (R-RUN-8): every value is checked against its type before a run
// starts, and still reaches a shell only single-quoted. Values that come from the target
// (backup files, commits) are picked from a list the host printed, never typed blind.
import { UNIT_NAME } from '../config/patterns';
import { parseTemplate, renderTemplate } from './template';
import type { Runbook, RunbookParam } from './schema';

export const PARAM_TYPES = ['string', 'int', 'unit', 'name', 'service', 'host', 'path', 'file', 'commit', 'database', 'choice'] as const;
export type ParamType = (typeof PARAM_TYPES)[number];

/** What a parameter of each type is, in words (messages and the parameter form). */
export const PARAM_TYPE_TEXT: Record<ParamType, string> = {
  string: 'text (no control characters)',
  int: 'a whole number',
  unit: 'a systemd unit name (letters, digits, ":-_.\\@", not starting with -)',
  name: 'a name of letters, digits and ._@:+- (not starting with -), at most 128 characters',
  service: 'the name of a service in the config',
  host: 'the name of a host in the config',
  path: 'an absolute path (starts with /) without shell special characters or ".." segments',
  file: 'an absolute file path (starts with /) without shell special characters or ".." segments',
  commit: 'a git commit hash of 7 to 40 hex digits',
  database: 'a PostgreSQL database name: lowercase letters, digits and _, not starting with a digit, at most 40 characters',
  choice: 'one of the listed choices',
};

/** Longest database name: the restore/swap suffixes (_broken_YYYYMMDD_HHMMSS) must fit PostgreSQL's 63. */
export const MAX_DATABASE_NAME = 40;

// Newlines end a shell command even inside some tools' own parsing; ESC sequences can repaint
// the operator's screen. No parameter of any type may carry them.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f\u0080-\u009f\u2028\u2029]/;
const SHELL_SPECIAL = /[`$;&|<>(){}*?!"'\\[\]~#]/;

function describeChar(c: string): string {
  const code = c.codePointAt(0)!;
  if (c === '\n') return 'a newline';
  if (c === '\r') return 'a carriage return';
  if (c === '\t') return 'a tab';
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029) return `a control character (U+${code.toString(16).padStart(4, '0').toUpperCase()})`;
  return JSON.stringify(c);
}

export interface ParamNames {
  services: readonly string[];
  hosts: readonly string[];
}

/** Why `value` is not a valid value of this parameter's type, or undefined when it is. */
export function paramTypeProblem(type: ParamType, value: string, names?: ParamNames): string | undefined {
  const control = CONTROL.exec(value);
  if (control) return `it contains ${describeChar(control[0])}`;
  if (value === '') return 'it is empty';
  switch (type) {
    case 'string':
    case 'choice':
      return undefined;
    case 'int':
      return /^-?\d{1,15}$/.test(value) ? undefined : 'expected a whole number';
    case 'unit':
      return UNIT_NAME.test(value) && !value.startsWith('-') ? undefined : `expected ${PARAM_TYPE_TEXT.unit}`;
    case 'name':
      return /^[A-Za-z0-9_][A-Za-z0-9._@:+-]{0,127}$/.test(value) ? undefined : `expected ${PARAM_TYPE_TEXT.name}`;
    case 'service':
    case 'host': {
      const list = type === 'service' ? names?.services : names?.hosts;
      if (!/^[A-Za-z0-9][A-Za-z0-9._@-]*$/.test(value)) return `expected ${PARAM_TYPE_TEXT[type]}`;
      if (list && !list.includes(value)) return `no ${type} named ${JSON.stringify(value)} in the config (known: ${list.join(', ') || 'none'})`;
      return undefined;
    }
    case 'path':
    case 'file': {
      if (!value.startsWith('/')) return `expected ${PARAM_TYPE_TEXT[type]}; it does not start with /`;
      const special = SHELL_SPECIAL.exec(value);
      if (special) return `it contains ${describeChar(special[0])}, which a ${type} parameter may not hold`;
      if (value.split('/').some((seg) => seg === '..')) return 'it contains a ".." segment; give the path without it';
      if (type === 'file' && value.endsWith('/')) return 'expected a file, found a directory path (ends with /)';
      return value.length > 4096 ? 'it is longer than 4096 characters' : undefined;
    }
    case 'commit':
      return /^[0-9a-fA-F]{7,40}$/.test(value) ? undefined : `expected ${PARAM_TYPE_TEXT.commit}`;
    case 'database':
      if (!/^[a-z_][a-z0-9_]*$/.test(value)) return `expected ${PARAM_TYPE_TEXT.database}`;
      return value.length > MAX_DATABASE_NAME ? `expected at most ${MAX_DATABASE_NAME} characters, found ${value.length} (restore suffixes must fit PostgreSQL's 63)` : undefined;
  }
}

// Types whose every valid value is free of shell metacharacters ($ ` " ' \\ and the rest), so
// even inside double quotes in a `run:` line their value cannot run anything.
const SHELL_INERT_TYPES: ReadonlySet<ParamType> = new Set(['int', 'name', 'service', 'host', 'path', 'file', 'commit', 'database']);
const INERT_TEXT = /^[A-Za-z0-9._@:+,=/ -]*$/;

/** Whether no valid value of this parameter can carry a shell metacharacter. */
export function paramShellInert(p: Pick<RunbookParam, 'type' | 'choices'>): boolean {
  if (SHELL_INERT_TYPES.has(p.type as ParamType)) return true;
  return p.choices !== undefined && p.choices.every((c) => INERT_TEXT.test(c));
}

/** The full check of one value: type, the runbook's pattern, static choices. */
export function validateParamValue(name: string, p: RunbookParam, value: string, names?: ParamNames): string | undefined {
  const type = p.type as ParamType;
  const shown = JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  const why = paramTypeProblem(type, value, names);
  if (why?.startsWith('expected ')) return `parameter "${name}" must be ${why.slice('expected '.length)}, got ${shown}`;
  if (why) return `parameter "${name}" (${type}) rejects ${shown}: ${why}`;
  if (p.pattern !== undefined && !new RegExp(`^(?:${p.pattern})$`).test(value)) return `parameter "${name}" must match ${p.pattern}, got ${shown}`;
  if (p.choices && !p.choices.includes(value)) return `parameter "${name}" must be one of: ${p.choices.join(', ')}; got ${shown}`;
  return undefined;
}

export interface ParamChoice {
  value: string;
  /** The line the host printed (a commit's date and subject, a file's name). */
  label: string;
}

export interface ParsedChoices {
  choices: ParamChoice[];
  /** Lines that are not valid values of the type (said, not offered). */
  rejected: string[];
}

export const MAX_CHOICES = 200;

/** Turns a listing command's stdout lines into choices, each checked against the parameter's type. */
export function parseChoices(name: string, p: RunbookParam, lines: string[], names?: ParamNames): ParsedChoices {
  const choices: ParamChoice[] = [];
  const rejected: string[] = [];
  const seen = new Set<string>();
  const mode = p.choices_from?.value ?? 'line';
  for (const raw of lines) {
    const label = raw.replace(/\s+$/, '');
    if (label.trim() === '') continue;
    const value = mode === 'first-word' ? label.trim().split(/\s+/)[0] : label;
    if (seen.has(value)) continue;
    if (validateParamValue(name, p, value, names)) {
      rejected.push(label);
      continue;
    }
    seen.add(value);
    choices.push({ value, label: label.trim() });
    if (choices.length >= MAX_CHOICES) break;
  }
  return { choices, rejected };
}

export interface ResolveParamsContext {
  names?: ParamNames;
  /** Fills a template default ("{{service.name}}"); throws when it cannot. */
  resolveRef?: (ref: string) => string;
  /**
   * Values listed on the target by choices_from for a parameter that has one, by a listing made
   * with these values of the earlier parameters; undefined when there is none.
   */
  listed?: (name: string, earlier: Record<string, string>) => string[] | undefined;
  /**
   * Why there is no listing for these earlier values although one was made with others
   * (e.g. `as_of="…" (now "…")`), so a start says to list again instead of using it.
   */
  staleListing?: (name: string, earlier: Record<string, string>) => string | undefined;
  /** A dry run runs nothing, so it lists nothing: unpicked choices show as placeholders. */
  dryRun?: boolean;
}

export type ResolvedParams = { ok: true; params: Record<string, string>; placeholders: string[] } | { ok: false; error: string };

/** Placeholder shown in a dry run for a value that would be picked from the host's list. */
export function choicePlaceholder(name: string): string {
  return `<${name}: picked from the host's list>`;
}

/**
 * Every parameter's value from the operator's input, defaults and the target's listings, in
 * declaration order (a default or listing may use earlier parameters), each fully checked.
 */
export function resolveParamValues(runbook: Runbook, given: Record<string, string> = {}, ctx: ResolveParamsContext = {}): ResolvedParams {
  const declared = Object.keys(runbook.params);
  for (const key of Object.keys(given)) {
    if (!(key in runbook.params)) return { ok: false, error: `${runbook.id} has no parameter "${key}" (it takes: ${declared.join(', ') || 'none'})` };
  }
  const out: Record<string, string> = {};
  const placeholders: string[] = [];
  for (const [name, p] of Object.entries(runbook.params)) {
    let value = given[name];
    if (value === undefined && p.default !== undefined) {
      const raw = String(p.default);
      try {
        value = renderTemplate(raw, (ref) => {
          const [root, key] = ref.split('.');
          if (root === 'params') {
            if (out[key] === undefined) throw new Error(`parameter "${key}" has no value yet`);
            return out[key];
          }
          if (!ctx.resolveRef) throw new Error(`{{${ref}}} cannot be filled here`);
          return ctx.resolveRef(ref);
        }, 'raw');
      } catch (err) {
        return { ok: false, error: `parameter "${name}": its default ${JSON.stringify(raw)} cannot be filled: ${(err as Error).message}; pass a value for "${name}"` };
      }
    }
    const from = p.choices_from;
    const listed = from ? ctx.listed?.(name, { ...out }) : undefined;
    if (from && !listed && !ctx.dryRun) {
      // A listing made for other earlier values (another as_of, backup dir) is never used.
      const stale = ctx.staleListing?.(name, { ...out });
      if (stale) return { ok: false, error: `parameter "${name}": the list the target printed was made with ${stale}; list the choices again with these values` };
    }
    if (value === undefined && from && from.default === 'first' && listed && listed.length > 0) value = listed[0];
    if (value === undefined && from && ctx.dryRun) {
      out[name] = choicePlaceholder(name);
      placeholders.push(name);
      continue;
    }
    if (value === undefined) {
      const hint = from ? (listed ? (listed.length ? `; pick one of: ${listed.slice(0, 10).join(', ')}${listed.length > 10 ? ', …' : ''}` : `; the host listed none (${from.run})`) : '; it is picked from a list the host prints') : '';
      return { ok: false, error: `${runbook.id} needs the parameter "${name}"${p.description ? ` (${p.description.en})` : ''}${hint}` };
    }
    const problem = validateParamValue(name, p, value, ctx.names);
    if (problem) return { ok: false, error: problem };
    if (from && !ctx.dryRun) {
      if (!listed) return { ok: false, error: `parameter "${name}" must be picked from the list the target prints (${from.run}); list the choices first` };
      if (!listed.includes(value)) {
        return { ok: false, error: `parameter "${name}": ${JSON.stringify(value)} is not in the list the target printed (${listed.length ? listed.slice(0, 10).join(', ') + (listed.length > 10 ? ', …' : '') : 'it printed none'}); pick one of those` };
      }
    }
    out[name] = value;
  }
  return { ok: true, params: out, placeholders };
}

/** Load-time problems of a runbook's params section, as [path, message] for the schema. */
export function paramDefinitionProblems(rb: Pick<Runbook, 'params' | 'target'>, checkRef: (ref: string, params: string[]) => string | undefined): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const earlier: string[] = [];
  for (const [name, p] of Object.entries(rb.params)) {
    const type = p.type as ParamType;
    if (type === 'choice' && !p.choices) problems.push({ path: ['params', name, 'choices'], message: 'a list of choices for a parameter of type choice' });
    if (p.choices && p.choices_from) problems.push({ path: ['params', name, 'choices_from'], message: 'either choices or choices_from, not both' });
    const checkTemplate = (text: string, path: (string | number)[]) => {
      let refs: string[];
      try {
        refs = parseTemplate(text)
          .map((x) => x.ref)
          .filter((r): r is string => r !== undefined);
      } catch (err) {
        problems.push({ path, message: (err as Error).message });
        return;
      }
      for (const ref of refs) {
        const [root, key] = ref.split('.');
        if (root === 'params' && !earlier.includes(key)) {
          problems.push({ path, message: `{{${ref}}} must name a parameter declared before "${name}" (earlier: ${earlier.join(', ') || 'none'})` });
          continue;
        }
        if (root === 'run') {
          problems.push({ path, message: `{{${ref}}} is not known before the run starts; use service.*, host.* or earlier params` });
          continue;
        }
        const why = checkRef(ref, earlier);
        if (why) problems.push({ path, message: why });
      }
    };
    if (typeof p.default === 'string') {
      checkTemplate(p.default, ['params', name, 'default']);
      // A literal default is checked now, so a typo in a built-in never waits for a run to show.
      if (!p.default.includes('{{')) {
        const why = validateParamValue(name, p, p.default);
        if (why && type !== 'service' && type !== 'host') problems.push({ path: ['params', name, 'default'], message: `a valid default: ${why}` });
      }
    }
    if (p.choices) {
      p.choices.forEach((c, i) => {
        const why = paramTypeProblem(type === 'choice' ? 'string' : type, c);
        if (why) problems.push({ path: ['params', name, 'choices', i], message: `a valid ${type} choice: ${why}` });
      });
    }
    if (p.choices_from) checkTemplate(p.choices_from.run, ['params', name, 'choices_from', 'run']);
    earlier.push(name);
  }
  return problems;
}
