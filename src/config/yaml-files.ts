// Finding and reading the YAML files behind runbooks and checklists: the built-in folder, the
// operator's own, and the paths the config lists. Both loaders go through here, so a missing
// entry or an unreadable file is worded the same for both; what they do with the text differs.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';

/** YAML files of a directory, sorted (not recursive: subdirectories hold other data, e.g. checklists). */
export function yamlFilesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => ['.yaml', '.yml'].includes(extname(n).toLowerCase()))
    .sort()
    .map((n) => join(dir, n))
    .filter((p) => statSync(p).isFile());
}

/**
 * The files of the config's `section:` list (relative entries against baseDir; a folder gives its
 * YAML files). An entry that does not exist or cannot be read is a problem naming the section.
 */
export function listedYamlFiles(paths: readonly string[], baseDir: string, section: string, problems: string[]): string[] {
  const files: string[] = [];
  for (const raw of paths) {
    const path = resolve(baseDir, raw);
    try {
      files.push(...(statSync(path).isDirectory() ? yamlFilesIn(path) : [path]));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      problems.push(`${path}: ${code === 'ENOENT' ? 'no such file or directory' : (err as Error).message} (listed under ${section}: in the config; fix or remove the entry)`);
    }
  }
  return files;
}

/** The file's text, or undefined with the reason recorded as a problem. */
export function readYamlFile(file: string, problems: string[]): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    problems.push(`${file}: cannot read: ${(err as Error).message}`);
    return undefined;
  }
}
