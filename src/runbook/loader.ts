// Loads the built-in runbooks (actions/*.yaml) and the operator's own (config `runbooks:`),
// every problem reported as `file:line:col: path: expected X, found Y` (R-RUN-3, like R-CFG-3).
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { formatProblem, problemsFromIssues, sortProblems, YamlSource, valueAt, describeFound, type YamlProblem, type YamlPath } from '../config/yaml-errors';
import { runbookSchema, STEP_SCHEMAS, type Runbook } from './schema';
import { prevalidated } from '../config/prevalidated';
import { listedYamlFiles, readYamlFile, yamlFilesIn } from '../config/yaml-files';

/** Every problem found in the runbook files; the message lists them one per line. */
export class RunbookLoadError extends Error {
  readonly exitCode = 2;
  constructor(readonly problems: string[]) {
    super(`invalid runbook${problems.length > 1 ? 's' : ''}:\n${problems.join('\n')}\nFix the file(s) above and start again.`);
    this.name = 'RunbookLoadError';
  }
}

/**
 * The built-in actions/ directory. Walks up from this module: from source it is
 * <repo>/src/runbook/loader.ts, in the bundle <repo>/dist/cli.js; both end at <repo>/actions.
 */
export function builtinActionsDir(from: string = import.meta.url): string {
  let dir = dirname(from.startsWith('file:') ? fileURLToPath(from) : from);
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'actions');
    if (existsSync(join(dir, 'package.json')) && existsSync(candidate) && statSync(candidate).isDirectory()) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`cannot find the built-in actions/ directory above ${from}; reinstall doai-console (the package ships actions/)`);
}

function issueProblems(source: YamlSource, data: unknown, issues: readonly z.core.$ZodIssue[]): YamlProblem[] {
  const out: YamlProblem[] = [];
  const rest: z.core.$ZodIssue[] = [];
  for (const issue of issues) {
    const path = issue.path as YamlPath;
    const i = issue as z.core.$ZodIssue & { discriminator?: string; options?: unknown[]; keys?: string[] };
    if (issue.code === 'invalid_union' && i.discriminator) {
      // A step or check with an unknown kind: list the kinds there are.
      const found = valueAt(data, path);
      const options = (i.options ?? []).map(String).join(', ');
      out.push(source.problem(path, `expected one of: ${options}, found ${found === undefined ? `nothing (missing key "${i.discriminator}")` : describeFound(found)}`));
      continue;
    }
    if (issue.code === 'unrecognized_keys' && path[0] === 'steps' && typeof path[1] === 'number') {
      // Inside a union the generic mapper cannot see the object's keys; the step's kind tells them.
      const step = valueAt(data, path.slice(0, 2)) as { kind?: string; check?: { kind?: string } } | undefined;
      const schema = path[2] === 'check' ? (step?.check?.kind === 'ssh' ? 'ssh-check' : 'http-check') : step?.kind;
      const known = knownKeys(schema);
      for (const key of i.keys ?? []) {
        out.push(source.problem([...path, key], `unknown key "${key}"${known.length ? ` (expected one of: ${known.join(', ')})` : ''}`, 'key'));
      }
      continue;
    }
    if (issue.code === 'custom') {
      const found = valueAt(data, path);
      // Template problems read better as they are: "unknown template variable {{host.nme}}; known: ...".
      const params = (issue as { params?: { plain?: boolean; refIndex?: number } }).params;
      if (params?.plain) {
        const at = params.refIndex === undefined ? undefined : source.locatePlaceholder(path, params.refIndex);
        out.push(at ? { ...source.problem(path, issue.message), ...at } : source.problem(path, issue.message));
        continue;
      }
      out.push(source.problem(path, `expected ${issue.message}${found === undefined || typeof found === 'object' ? '' : `, found ${describeFound(found)}`}`));
      continue;
    }
    rest.push(issue);
  }
  return [...out, ...problemsFromIssues(source, runbookSchema, data, rest)];
}

function knownKeys(kind: string | undefined): string[] {
  const schema = kind === 'ssh-check' || kind === 'http-check' ? undefined : kind ? STEP_SCHEMAS[kind] : undefined;
  if (kind === 'ssh-check') return ['kind', 'host', 'run', 'timeout_s'];
  if (kind === 'http-check') return ['kind', 'url', 'method', 'timeout_s', 'expect_status', 'expect_body', 'json', 'max_latency_ms'];
  const def = (schema as unknown as { _zod?: { def?: { type?: string; shape?: Record<string, unknown> } } })?._zod?.def;
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

/** Validates one runbook file's text. */
export function parseRunbook(text: string, file: string): { ok: true; runbook: Runbook } | { ok: false; problems: string[] } {
  // A built-in file as shipped was validated at build time (src/config/prevalidated.ts).
  const pre = prevalidated('runbook', text) as Runbook | undefined;
  if (pre) return { ok: true, runbook: { ...pre, source: file } };
  const source = new YamlSource(text, file);
  const syntax = source.syntaxProblems();
  if (syntax.length) return { ok: false, problems: syntax.map(formatProblem) };
  let data: unknown;
  try {
    data = source.toJS();
  } catch (err) {
    return { ok: false, problems: [`${file}:1:1: YAML error: ${(err as Error).message}`] };
  }
  if (data === null || data === undefined || typeof data !== 'object' || Array.isArray(data)) {
    return { ok: false, problems: [`${file}:1:1: expected a runbook (a mapping with id, level, title, steps...), found ${describeFound(data)}`] };
  }
  const result = runbookSchema.safeParse(data);
  if (!result.success) return { ok: false, problems: sortProblems(issueProblems(source, data, result.error.issues)).map(formatProblem) };
  return { ok: true, runbook: { ...result.data, source: file } };
}

export interface LoadRunbooksOptions {
  builtinDir: string;
  /** Files or directories from the config's `runbooks:` list. */
  extraPaths?: string[];
  /** Relative extra paths are resolved against this (the config file's directory). */
  baseDir?: string;
  /** The operator's own runbooks directory (<config dir>/runbooks/), loaded when it exists. */
  userDir?: string;
}

/**
 * Loads every runbook. Throws RunbookLoadError listing every problem (bad files, duplicate ids):
 * a console never starts with half its runbooks.
 */
export function loadRunbooks(opts: LoadRunbooksOptions): Map<string, Runbook> {
  const problems: string[] = [];
  const files: string[] = [];
  try {
    files.push(...yamlFilesIn(opts.builtinDir));
  } catch (err) {
    problems.push(`${opts.builtinDir}: cannot read the built-in runbooks: ${(err as Error).message}`);
  }
  const builtinFiles = new Set(files.map((f) => resolve(f)));
  if (opts.userDir && existsSync(opts.userDir)) {
    try {
      files.push(...yamlFilesIn(opts.userDir));
    } catch (err) {
      problems.push(`${opts.userDir}: cannot read your runbooks: ${(err as Error).message}; fix the directory's permissions`);
    }
  }
  files.push(...listedYamlFiles(opts.extraPaths ?? [], opts.baseDir ?? process.cwd(), 'runbooks', problems));
  const out = new Map<string, Runbook>();
  // The same file named twice (the runbooks/ dir also listed under runbooks:) is loaded once.
  for (const file of [...new Set(files.map((f) => resolve(f)))]) {
    const text = readYamlFile(file, problems);
    if (text === undefined) continue;
    const parsed = parseRunbook(text, file);
    if (!parsed.ok) {
      problems.push(...parsed.problems);
      continue;
    }
    const prev = out.get(parsed.runbook.id);
    if (prev && prev.source && builtinFiles.has(prev.source) && !builtinFiles.has(file)) {
      problems.push(`${file}:1:1: id: runbook id "${parsed.runbook.id}" is already defined in ${prev.source} (a built-in runbook); give yours another id`);
      continue;
    }
    if (prev) {
      problems.push(`${file}:1:1: id: runbook id "${parsed.runbook.id}" is already defined in ${prev.source}; give one of them another id`);
      continue;
    }
    out.set(parsed.runbook.id, parsed.runbook);
  }
  if (problems.length) throw new RunbookLoadError(problems);
  return out;
}
