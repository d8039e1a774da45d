// Maps YAML syntax errors and zod issues back to `file:line:col: path: expected X, found Y`
// (R-CFG-3). Shared by the config loader and anything else that validates YAML against a zod
// schema (runbooks, checklists): operators fix files by line number, not by zod's JSON paths.
import { Alias, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';

export type YamlPath = (string | number)[];

export interface YamlProblem {
  file: string;
  line: number;
  col: number;
  /** Dotted field path, e.g. `services[0].health_url`; empty for the whole file. */
  path: string;
  /** Everything after `path: `, e.g. `expected a URL, found "htp:/x"`. */
  message: string;
}

export function formatProblem(p: YamlProblem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

export function formatPath(path: YamlPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${seg}` : seg;
  }
  return out;
}

/** A parsed YAML document that can say where a path sits in the source. */
export class YamlSource {
  readonly lineCounter = new LineCounter();
  readonly doc: Document.Parsed;

  constructor(
    readonly text: string,
    readonly file: string,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lineCounter, prettyErrors: true });
  }

  /** YAML syntax errors, each at the parser's own line and column. */
  syntaxProblems(): YamlProblem[] {
    return this.doc.errors.map((e) => {
      const pos = e.linePos?.[0] ?? this.lineCounter.linePos(e.pos[0]);
      // prettyErrors appends " at line X, column Y:" and a source excerpt; we print our own position.
      const what = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      return { file: this.file, line: pos.line, col: pos.col, path: '', message: `YAML syntax error: ${what}` };
    });
  }

  toJS(): unknown {
    return this.doc.toJS({ maxAliasCount: 100 });
  }

  private deref(node: unknown): unknown {
    return isAlias(node) ? (node as Alias).resolve(this.doc) : node;
  }

  /**
   * Walks the path as far as the document allows. Returns the deepest value node reached, the
   * key node of the last pair reached, and how many segments were matched.
   */
  private walk(path: YamlPath): { node: Node | null; keyNode: Node | null; parent: Node | null; matched: number } {
    let node = this.deref(this.doc.contents) as Node | null;
    let parent: Node | null = null;
    let keyNode: Node | null = null;
    let matched = 0;
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(seg));
        if (!pair) break;
        parent = node;
        keyNode = (pair.key as Node) ?? null;
        node = (this.deref(pair.value) as Node | null) ?? null;
      } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
        parent = node;
        keyNode = null;
        node = (this.deref(node.items[seg]) as Node | null) ?? null;
      } else break;
      matched++;
      if (!node) break;
    }
    return { node, keyNode, parent, matched };
  }

  /** Position of the value at path, or of its key when the value is empty, or of the nearest ancestor. */
  locate(path: YamlPath, prefer: 'value' | 'key' = 'value'): { line: number; col: number } {
    const { node, keyNode, parent, matched } = this.walk(path);
    let offset: number | undefined;
    if (matched === path.length) {
      if (prefer === 'key' && keyNode?.range) offset = keyNode.range[0];
      else offset = node?.range?.[0] ?? keyNode?.range?.[0];
    } else {
      // The path stops early (missing key): point at the object that should hold it.
      offset = node?.range?.[0] ?? keyNode?.range?.[0] ?? parent?.range?.[0];
    }
    if (offset === undefined) return { line: 1, col: 1 };
    return this.lineCounter.linePos(offset);
  }

  /** Position of the refIndex-th `{{…}}` placeholder inside the scalar at path (its value's start when not found). */
  locatePlaceholder(path: YamlPath, refIndex: number): { line: number; col: number } {
    const { node, matched } = this.walk(path);
    const range = matched === path.length && isScalar(node) ? node.range : undefined;
    if (range) {
      const found = [...this.text.slice(range[0], range[1]).matchAll(/\{\{[^{}]*\}\}/g)][refIndex];
      if (found) return this.lineCounter.linePos(range[0] + found.index);
    }
    return this.locate(path);
  }

  problem(path: YamlPath, message: string, prefer: 'value' | 'key' = 'value'): YamlProblem {
    const { line, col } = this.locate(path, prefer);
    return { file: this.file, line, col, path: formatPath(path), message };
  }
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  if (typeof key === 'string' || typeof key === 'number') return String(key);
  return undefined;
}

/** The value a path points at in plain data (undefined when absent). */
export function valueAt(data: unknown, path: YamlPath): unknown {
  let cur: unknown = data;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

/** What the operator wrote, in words: `"htp:/x"`, `42`, `a list`, `nothing`. */
export function describeFound(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (typeof value === 'string') {
    const s = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(s);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

const typeWords: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping (key: value)',
  bigint: 'a whole number',
  date: 'a date',
};

type AnyIssue = z.core.$ZodIssue & Record<string, unknown>;

function bound(issue: AnyIssue, big: boolean): string {
  const limit = (big ? issue.maximum : issue.minimum) as number | bigint;
  const inclusive = issue.inclusive !== false;
  switch (issue.origin) {
    case 'string':
      if (!big && Number(limit) === 1) return 'a non-empty string';
      return `a string of ${big ? 'at most' : 'at least'} ${limit} characters`;
    case 'array':
      if (!big && Number(limit) === 1) return 'a non-empty list';
      return `a list of ${big ? 'at most' : 'at least'} ${limit} items`;
    default:
      if (!big && Number(limit) === 0 && !inclusive) return 'a positive number';
      return `a number ${big ? (inclusive ? '<=' : '<') : inclusive ? '>=' : '>'} ${limit}`;
  }
}

/** The "expected ..." half of a message for one zod issue. */
export function describeExpected(issue: AnyIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return typeWords[String(issue.expected)] ?? `a ${String(issue.expected)}`;
    case 'too_small':
    case 'too_big': {
      // A schema's own message is the reason for the bound ("at least 1 s: a shorter interval floods…").
      const reason = /^Too (small|big)/.test(issue.message) ? '' : ` (${issue.message})`;
      return bound(issue, issue.code === 'too_big') + reason;
    }
    case 'invalid_format': {
      const format = String(issue.format);
      // Our schemas give formats a human description as the message; zod's default says "Invalid".
      const custom = !/^Invalid/.test(issue.message);
      if (format === 'url') return custom ? issue.message : 'a URL';
      if (format === 'regex') return custom ? issue.message : `text matching ${String(issue.pattern)}`;
      return custom ? issue.message : `a valid ${format}`;
    }
    case 'invalid_value': {
      const values = (issue.values as unknown[]) ?? [];
      return values.length === 1 ? JSON.stringify(values[0]) : `one of: ${values.map((v) => JSON.stringify(v)).join(', ')}`;
    }
    case 'not_multiple_of':
      return `a multiple of ${String(issue.divisor)}`;
    case 'invalid_union':
      return 'one of the allowed forms';
    default:
      return issue.message;
  }
}

/** Unwraps default/optional/nullable/pipe wrappers to reach the schema that describes `path`. */
export function schemaAt(schema: z.ZodType, path: YamlPath): z.ZodType | undefined {
  let cur: unknown = schema;
  const unwrap = () => {
    for (let i = 0; i < 20; i++) {
      const def = (cur as { _zod?: { def?: Record<string, unknown> } })?._zod?.def;
      if (!def) return;
      if (['default', 'optional', 'nullable', 'prefault', 'readonly', 'catch', 'nonoptional'].includes(String(def.type))) cur = def.innerType;
      else if (def.type === 'pipe') cur = def.in;
      else return;
    }
  };
  unwrap();
  for (const seg of path) {
    const def = (cur as { _zod?: { def?: Record<string, unknown> } })?._zod?.def;
    if (!def) return undefined;
    if (def.type === 'object') cur = (def.shape as Record<string, unknown>)[String(seg)];
    else if (def.type === 'array') cur = def.element;
    else if (def.type === 'record') cur = def.valueType;
    else return undefined;
    unwrap();
  }
  return cur as z.ZodType | undefined;
}

function objectKeys(schema: z.ZodType | undefined): string[] {
  const def = (schema as unknown as { _zod?: { def?: Record<string, unknown> } })?._zod?.def;
  return def?.type === 'object' ? Object.keys(def.shape as Record<string, unknown>) : [];
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length];
}

/** Turns zod issues into located problems (one per unknown key), sorted by position. */
export function problemsFromIssues(source: YamlSource, schema: z.ZodType, data: unknown, issues: readonly z.core.$ZodIssue[]): YamlProblem[] {
  const out: YamlProblem[] = [];
  for (const raw of issues) {
    const issue = raw as AnyIssue;
    const path = issue.path as YamlPath;
    if (issue.code === 'unrecognized_keys') {
      const known = objectKeys(schemaAt(schema, path));
      for (const key of issue.keys as string[]) {
        const near = known.filter((k) => editDistance(k, key) <= 2).sort((a, b) => editDistance(a, key) - editDistance(b, key))[0];
        const hint = known.length ? ` (expected one of: ${known.join(', ')})` : '';
        out.push(source.problem([...path, key], `unknown key "${key}"${hint}${near ? ` — did you mean "${near}"?` : ''}`, 'key'));
      }
      continue;
    }
    const found = valueAt(data, path);
    const missing = found === undefined;
    const foundText = missing ? `nothing (missing key "${String(path[path.length - 1])}")` : describeFound(found);
    const message = `expected ${describeExpected(issue)}, found ${foundText}`;
    out.push(source.problem(path, message));
  }
  return sortProblems(out);
}

export function sortProblems(problems: YamlProblem[]): YamlProblem[] {
  return [...problems].sort((a, b) => a.line - b.line || a.col - b.col);
}

export type YamlValidation<T> = { ok: true; data: T; source: YamlSource } | { ok: false; problems: YamlProblem[]; source: YamlSource };

/**
 * Parses YAML text and validates it against a zod schema, every problem located in the file.
 * An empty document validates as `{}` so an all-defaults file is accepted.
 */
export function validateYaml<S extends z.ZodType>(text: string, file: string, schema: S): YamlValidation<z.output<S>> {
  const source = new YamlSource(text, file);
  const syntax = source.syntaxProblems();
  if (syntax.length) return { ok: false, problems: syntax, source };
  let data: unknown;
  try {
    data = source.toJS();
  } catch (err) {
    // e.g. an alias bomb or an unresolvable alias
    return { ok: false, problems: [{ file, line: 1, col: 1, path: '', message: `YAML error: ${(err as Error).message}` }], source };
  }
  if (data === null || data === undefined) data = {};
  const result = schema.safeParse(data);
  if (result.success) return { ok: true, data: result.data as z.output<S>, source };
  return { ok: false, problems: problemsFromIssues(source, schema, data, result.error.issues), source };
}
