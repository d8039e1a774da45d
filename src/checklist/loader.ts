// Loads the built-in checklists (actions/checklists/*.yaml) and the operator's own (config
// `checklists:`, files or directories), every problem as `file:line:col: path: expected X, found Y`.
import { join } from 'node:path';
import { formatProblem, validateYaml } from '../config/yaml-errors';
import { builtinActionsDir } from '../runbook/loader';
import { AUTO_CHECKS, checklistSchema, type ChecklistDefinition } from './schema';
import { prevalidated } from '../config/prevalidated';
import { listedYamlFiles, readYamlFile, yamlFilesIn } from '../config/yaml-files';

export class ChecklistLoadError extends Error {
  readonly exitCode = 2;
  constructor(readonly problems: string[]) {
    super(`invalid checklist${problems.length > 1 ? 's' : ''}:\n${problems.join('\n')}\nFix the file(s) above and start again.`);
    this.name = 'ChecklistLoadError';
  }
}

export function builtinChecklistsDir(): string {
  return join(builtinActionsDir(), 'checklists');
}

export function parseChecklist(text: string, file: string): { ok: true; checklist: ChecklistDefinition } | { ok: false; problems: string[] } {
  // A built-in file as shipped was validated at build time (src/config/prevalidated.ts).
  const pre = prevalidated('checklist', text) as ChecklistDefinition | undefined;
  if (pre) return { ok: true, checklist: { ...pre, source_file: file } };
  const result = validateYaml(text, file, checklistSchema);
  if (!result.ok) {
    // zod says "one of the allowed forms" for an unknown check: name the checks there are.
    const problems = result.problems.map((p) =>
      /\.auto\.check$/.test(p.path) && p.message.startsWith('expected one of the allowed forms')
        ? { ...p, message: p.message.replace('one of the allowed forms', `one of: ${AUTO_CHECKS.join(', ')}`) }
        : p,
    );
    return { ok: false, problems: problems.map(formatProblem) };
  }
  return { ok: true, checklist: { ...result.data, source_file: file } };
}

export interface LoadChecklistsOptions {
  builtinDir?: string;
  extraPaths?: string[];
  baseDir?: string;
}

/** Every checklist, in file order; throws ChecklistLoadError listing every problem (bad files, duplicate ids). */
export function loadChecklists(opts: LoadChecklistsOptions = {}): ChecklistDefinition[] {
  const problems: string[] = [];
  const files: string[] = [];
  const builtin = opts.builtinDir ?? builtinChecklistsDir();
  try {
    files.push(...yamlFilesIn(builtin));
  } catch (err) {
    problems.push(`${builtin}: cannot read the built-in checklists: ${(err as Error).message}`);
  }
  files.push(...listedYamlFiles(opts.extraPaths ?? [], opts.baseDir ?? process.cwd(), 'checklists', problems));
  const out: ChecklistDefinition[] = [];
  for (const file of files) {
    const text = readYamlFile(file, problems);
    if (text === undefined) continue;
    const parsed = parseChecklist(text, file);
    if (!parsed.ok) {
      problems.push(...parsed.problems);
      continue;
    }
    const prev = out.find((c) => c.id === parsed.checklist.id);
    if (prev) {
      problems.push(`${file}:1:1: id: checklist id "${parsed.checklist.id}" is already defined in ${prev.source_file}; give one of them another id`);
      continue;
    }
    out.push(parsed.checklist);
  }
  if (problems.length) throw new ChecklistLoadError(problems);
  return out;
}
