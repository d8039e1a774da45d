// The simulated box's filesystem: a flat Map of absolute path → entry. Enough for redirections,
// cat/ls/find/rm/cp/tar and the cache paths whose presence drives the crash-loop fault.
import { posix } from 'node:path';

export type VfsEntry = { kind: 'dir'; mtime: Date } | { kind: 'file'; content: string; mtime: Date };

export class VfsError extends Error {}

export class Vfs {
  private entries = new Map<string, VfsEntry>();

  constructor(private readonly now: () => Date = () => new Date()) {
    this.entries.set('/', { kind: 'dir', mtime: now() });
  }

  /** Absolute, normalised path; `cwd` resolves relative ones. */
  static resolve(path: string, cwd = '/'): string {
    const abs = posix.resolve(cwd, path);
    return abs.length > 1 && abs.endsWith('/') ? abs.slice(0, -1) : abs;
  }

  get(path: string): VfsEntry | undefined {
    return this.entries.get(path);
  }

  /** Sets an entry's modification time (a file the box had before the demo started). */
  touch(path: string, mtime: Date): void {
    const e = this.entries.get(path);
    if (!e) throw new VfsError(`cannot touch '${path}': No such file or directory`);
    this.entries.set(path, { ...e, mtime });
  }

  exists(path: string): boolean {
    return this.entries.has(path);
  }

  isDir(path: string): boolean {
    return this.entries.get(path)?.kind === 'dir';
  }

  /** All paths, sorted (for globbing, find and the inspectable state). */
  paths(): string[] {
    return [...this.entries.keys()].sort();
  }

  mkdir(path: string, parents: boolean): void {
    if (this.entries.has(path)) {
      if (this.isDir(path)) {
        if (parents) return;
        throw new VfsError(`cannot create directory '${path}': File exists`);
      }
      throw new VfsError(`cannot create directory '${path}': Not a directory`);
    }
    const parent = posix.dirname(path);
    if (!this.isDir(parent)) {
      if (!parents || this.entries.has(parent)) throw new VfsError(`cannot create directory '${path}': No such file or directory`);
      this.mkdir(parent, true);
    }
    this.entries.set(path, { kind: 'dir', mtime: this.now() });
  }

  writeFile(path: string, content: string, append = false): void {
    const existing = this.entries.get(path);
    if (existing?.kind === 'dir') throw new VfsError(`${path}: Is a directory`);
    if (!this.isDir(posix.dirname(path))) throw new VfsError(`${path}: Directory nonexistent`);
    const before = append && existing?.kind === 'file' ? existing.content : '';
    this.entries.set(path, { kind: 'file', content: before + content, mtime: this.now() });
  }

  readFile(path: string): string {
    const entry = this.entries.get(path);
    if (!entry) throw new VfsError(`${path}: No such file or directory`);
    if (entry.kind === 'dir') throw new VfsError(`${path}: Is a directory`);
    return entry.content;
  }

  /** Direct children names of a directory, sorted. */
  list(dir: string): string[] {
    const prefix = dir === '/' ? '/' : `${dir}/`;
    const names: string[] = [];
    for (const p of this.entries.keys()) {
      if (p !== '/' && p.startsWith(prefix) && !p.slice(prefix.length).includes('/')) names.push(p.slice(prefix.length));
    }
    return names.sort();
  }

  /** The path and everything below it, parents before children. */
  walk(root: string): string[] {
    const prefix = root === '/' ? '/' : `${root}/`;
    return this.paths().filter((p) => p === root || p.startsWith(prefix));
  }

  remove(path: string, recursive: boolean): void {
    const entry = this.entries.get(path);
    if (!entry) throw new VfsError(`cannot remove '${path}': No such file or directory`);
    if (path === '/') throw new VfsError(`it is dangerous to operate recursively on '/'`);
    if (entry.kind === 'dir' && !recursive) throw new VfsError(`cannot remove '${path}': Is a directory`);
    for (const p of this.walk(path)) this.entries.delete(p);
  }

  copy(src: string, dst: string, recursive: boolean): void {
    const entry = this.entries.get(src);
    if (!entry) throw new VfsError(`cannot stat '${src}': No such file or directory`);
    if (entry.kind === 'dir' && !recursive) throw new VfsError(`-r not specified; omitting directory '${src}'`);
    const target = this.isDir(dst) ? Vfs.resolve(posix.basename(src), dst) : dst;
    if (!this.isDir(posix.dirname(target))) throw new VfsError(`cannot create '${target}': No such file or directory`);
    for (const p of this.walk(src)) {
      const e = this.entries.get(p)!;
      const to = target + p.slice(src.length);
      this.entries.set(to, e.kind === 'dir' ? { kind: 'dir', mtime: this.now() } : { ...e, mtime: this.now() });
    }
  }

  /**
   * Expands a shell glob against the tree. Like sh, * and ? do not cross '/', and a pattern
   * that matches nothing is returned as is.
   */
  glob(pattern: string, cwd = '/'): string[] {
    const abs = pattern.startsWith('/');
    const full = Vfs.resolve(pattern, cwd);
    const re = globToRegExp(full);
    const hits = this.paths().filter((p) => re.test(p));
    if (hits.length === 0) return [pattern];
    if (abs) return hits;
    const prefix = cwd === '/' ? '/' : `${cwd}/`;
    return hits.map((p) => (p.startsWith(prefix) ? p.slice(prefix.length) : p));
  }
}

export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end === -1) re += '\\[';
      else {
        const body = pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
