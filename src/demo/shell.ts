// The demo box's /bin/sh: enough of a shell for the lines the console's runbooks and probes send
// (single-quoted args, && || ; |, > >> 2> 2>&1 &>, globs, if/elif/else/fi). shell-quote
// tokenises; this file parses the tokens into lists, and-or lists, pipelines and commands (an
// `if` is a command too, as in sh) and runs them against the simulated box.
import { parse } from 'shell-quote';
import type { DemoBox } from './box';
import { Vfs, VfsError } from './vfs';
import { BUILTINS } from './commands';

export interface ShellIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** Per SSH channel: the working directory survives across the lines of one interactive shell. */
export interface ShellSession {
  cwd: string;
}

export interface CommandContext {
  box: DemoBox;
  vfs: Vfs;
  session: ShellSession;
  signal: AbortSignal;
  stdin: string;
  out(text: string): void;
  err(text: string): void;
  /** Runs another command (find -exec, sudo, timeout ...) with this context's streams. */
  run(argv: string[], opts?: { signal?: AbortSignal; stdin?: string }): Promise<number>;
  /** Runs a nested script (sh -c). */
  script(text: string, opts?: { signal?: AbortSignal }): Promise<number>;
}

export type Builtin = (args: string[], c: CommandContext) => number | Promise<number>;

type Word = string | { glob: string };
type Redirect =
  | { kind: 'file'; fd: 1 | 2 | 'both'; append: boolean; target: Word }
  | { kind: 'dup'; fd: 1 | 2; to: 1 | 2 }
  | { kind: 'stdin'; target: Word };
interface SimpleCommand {
  words: Word[];
  redirects: Redirect[];
}
/** `if LIST; then LIST; [elif LIST; then LIST;]... [else LIST;] fi` */
interface IfCommand {
  clauses: { cond: AndOrList[]; body: AndOrList[] }[];
  otherwise?: AndOrList[];
}
type Command = SimpleCommand | IfCommand;
type Pipeline = Command[];
interface AndOrList {
  first: Pipeline;
  rest: { op: '&&' | '||'; pipeline: Pipeline }[];
}

export class ShellSyntaxError extends Error {}

/** `exit N` unwinds the whole script with this. */
class ExitRequest {
  constructor(readonly code: number) {}
}

type Token = ReturnType<typeof parse>[number];

const REDIRECT_OPS = new Set(['>', '>>', '>&', '&>', '<']);

function opOf(t: Token | undefined): string | undefined {
  return t !== undefined && typeof t === 'object' && 'op' in t ? t.op : undefined;
}

/** Lines are split first: shell-quote treats a newline as a space. Quoted newlines are kept. */
function splitLines(text: string): string[] {
  const lines: string[] = [];
  let cur = '';
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && quote !== "'" && i + 1 < text.length) {
      if (text[i + 1] === '\n') {
        i++; // line continuation
        continue;
      }
      cur += ch + text[i + 1];
      i++;
      continue;
    }
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '\n') {
      lines.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  lines.push(cur);
  return lines;
}

const ENV: Record<string, string> = { HOME: '/root', USER: 'root', LOGNAME: 'root', SHELL: '/bin/sh', HOSTNAME: 'demo-vm', PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', PWD: '/root' };

/** `$?` is known only when the word is used, so parsing leaves this marker in its place. */
const LAST_STATUS = '\u0000?\u0000';

/** A shell token after the fd redirections are joined (`2>` is one redirect, not "2" then ">"). */
type Tok = { word: string } | { glob: string } | { op: string } | { redir: string; fd: 1 | 2 | 'both' };

/** The reserved words of `if`, special only where a command starts. */
const IF_WORDS = new Set(['then', 'elif', 'else', 'fi']);

function tokenize(text: string): Tok[] {
  const toks: Tok[] = [];
  for (const line of splitLines(text)) {
    // shell-quote splits `2>` into "2" and ">": only a 1/2 touching the operator is an fd.
    const fdRedirect = /(^|[\s;&|])[12]>/.test(line);
    const tokens = parse(line, (key) => (key === '?' ? LAST_STATUS : (ENV[key] ?? '')));
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (typeof t === 'string') {
        const next = opOf(tokens[i + 1]);
        if (fdRedirect && (t === '1' || t === '2') && next !== undefined && next !== '<' && REDIRECT_OPS.has(next)) {
          toks.push({ redir: next, fd: Number(t) as 1 | 2 });
          i++;
          continue;
        }
        if (t === '$' && next === '(') throw new ShellSyntaxError('command substitution $(...) is not supported by the demo shell');
        toks.push({ word: t });
        continue;
      }
      if ('comment' in t) break;
      const op = t.op;
      if (op === 'glob') toks.push({ glob: (t as { pattern: string }).pattern });
      else if (REDIRECT_OPS.has(op)) toks.push({ redir: op, fd: op === '&>' ? 'both' : 1 });
      else if (op === '|' || op === '&&' || op === '||' || op === ';' || op === '&' || op === ';;') toks.push({ op });
      else throw new ShellSyntaxError(`'${op}' is not supported by the demo shell`);
    }
    toks.push({ op: '\n' });
  }
  return toks;
}

const SEPARATORS = new Set([';', '&', ';;', '\n']);

/** Recursive descent over the tokens: lists of and-or lists of pipelines of commands. */
class ScriptParser {
  private i = 0;
  constructor(private readonly toks: Tok[]) {}

  private peek(): Tok | undefined {
    return this.toks[this.i];
  }

  private reserved(): string | undefined {
    const t = this.peek();
    return t && 'word' in t && IF_WORDS.has(t.word) ? t.word : undefined;
  }

  private unexpected(): ShellSyntaxError {
    const t = this.peek();
    const what = t === undefined || ('op' in t && t.op === '\n') ? 'newline' : 'word' in t ? t.word : 'op' in t ? t.op : 'glob' in t ? t.glob : t.redir;
    return new ShellSyntaxError(`syntax error near unexpected token \`${what}'`);
  }

  private skipNewlines(): void {
    while (this.peek() !== undefined && 'op' in this.peek()! && (this.peek() as { op: string }).op === '\n') this.i++;
  }

  /** And-or lists up to one of `stop` where a command would start (or the end). */
  list(stop: ReadonlySet<string>): AndOrList[] {
    const lists: AndOrList[] = [];
    for (;;) {
      // Empty commands between separators are nothing (`; echo`, blank lines).
      while (this.peek() !== undefined && 'op' in this.peek()! && SEPARATORS.has((this.peek() as { op: string }).op)) this.i++;
      if (this.peek() === undefined) return lists;
      const word = this.reserved();
      if (word !== undefined) {
        if (stop.has(word)) return lists;
        throw this.unexpected();
      }
      lists.push(this.andOr());
      const after = this.peek();
      if (after !== undefined && !('op' in after && SEPARATORS.has(after.op))) {
        if (this.reserved() !== undefined && stop.has(this.reserved()!)) continue;
        throw this.unexpected();
      }
    }
  }

  private andOr(): AndOrList {
    const list: AndOrList = { first: this.pipeline(), rest: [] };
    for (let t = this.peek(); t !== undefined && 'op' in t && (t.op === '&&' || t.op === '||'); t = this.peek()) {
      this.i++;
      this.skipNewlines();
      list.rest.push({ op: t.op as '&&' | '||', pipeline: this.pipeline() });
    }
    return list;
  }

  private pipeline(): Pipeline {
    const cmds: Command[] = [this.command()];
    for (let t = this.peek(); t !== undefined && 'op' in t && t.op === '|'; t = this.peek()) {
      this.i++;
      this.skipNewlines();
      cmds.push(this.command());
    }
    return cmds;
  }

  private command(): Command {
    const t = this.peek();
    if (t !== undefined && 'word' in t && t.word === 'if') return this.ifCommand();
    const cmd: SimpleCommand = { words: [], redirects: [] };
    for (let u = this.peek(); u !== undefined; u = this.peek()) {
      if ('word' in u) cmd.words.push(u.word);
      else if ('glob' in u) cmd.words.push({ glob: u.glob });
      else if ('redir' in u) {
        this.i++;
        const target = this.peek();
        const word: Word | undefined = target === undefined ? undefined : 'word' in target ? target.word : 'glob' in target ? { glob: target.glob } : undefined;
        if (word === undefined) throw new ShellSyntaxError(`syntax error: a file name must follow \`${u.redir}'`);
        if (u.redir === '<') cmd.redirects.push({ kind: 'stdin', target: word });
        else cmd.redirects.push(redirectFor(u.redir, u.fd, word));
      } else break;
      this.i++;
    }
    if (cmd.words.length === 0 && cmd.redirects.length === 0) throw this.unexpected();
    return cmd;
  }

  private expect(word: string): void {
    const t = this.peek();
    if (t === undefined) throw new ShellSyntaxError(`syntax error: end of file unexpected (expecting "${word}")`);
    if (!('word' in t) || t.word !== word) throw this.unexpected();
    this.i++;
  }

  /** A part of `if` that must hold at least one command. */
  private part(stop: ReadonlySet<string>): AndOrList[] {
    const lists = this.list(stop);
    if (lists.length === 0) throw this.peek() === undefined ? new ShellSyntaxError(`syntax error: end of file unexpected (expecting "${[...stop][0]}")`) : this.unexpected();
    return lists;
  }

  private ifCommand(): IfCommand {
    this.i++; // if
    const node: IfCommand = { clauses: [] };
    for (;;) {
      const cond = this.part(new Set(['then']));
      this.expect('then');
      const body = this.part(new Set(['fi', 'elif', 'else']));
      node.clauses.push({ cond, body });
      if (this.reserved() === 'elif') {
        this.i++;
        continue;
      }
      break;
    }
    if (this.reserved() === 'else') {
      this.i++;
      node.otherwise = this.part(new Set(['fi']));
    }
    this.expect('fi');
    return node;
  }
}

export function parseScript(text: string): AndOrList[] {
  return new ScriptParser(tokenize(text)).list(new Set());
}

function redirectFor(op: string, fd: 1 | 2 | 'both', word: Word): Redirect {
  if (op === '>&' && fd !== 'both' && (word === '1' || word === '2')) return { kind: 'dup', fd, to: Number(word) as 1 | 2 };
  if (op === '>&') return { kind: 'file', fd: 'both', append: false, target: word };
  return { kind: 'file', fd, append: op === '>>', target: word };
}

/** Runs a command line on the box; resolves with the exit status. Stops early when signal aborts. */
export async function runShell(text: string, opts: { box: DemoBox; signal: AbortSignal; io: ShellIo; session?: ShellSession }): Promise<number> {
  const session = opts.session ?? { cwd: '/root' };
  let lists: AndOrList[];
  try {
    lists = parseScript(text);
  } catch (e) {
    if (e instanceof ShellSyntaxError) {
      opts.io.stderr(`sh: 1: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  try {
    return await runLists(lists, { status: { last: 0 }, box: opts.box, session, signal: opts.signal, io: opts.io, stdin: '' });
  } catch (e) {
    if (e instanceof ExitRequest) return e.code;
    throw e;
  }
}

interface Exec {
  /** Shared by the whole script: the status `$?` expands to. */
  status: { last: number };
  box: DemoBox;
  session: ShellSession;
  signal: AbortSignal;
  io: ShellIo;
  stdin: string;
}

/** Exit status of an interrupted command, as sh reports SIGINT. */
const INTERRUPTED = 130;

async function runLists(lists: AndOrList[], x: Exec): Promise<number> {
  let status = 0;
  for (const list of lists) {
    if (x.signal.aborted) return INTERRUPTED;
    status = x.status.last = await runPipeline(list.first, x);
    for (const { op, pipeline } of list.rest) {
      if (x.signal.aborted) return INTERRUPTED;
      if ((op === '&&' && status !== 0) || (op === '||' && status === 0)) continue;
      status = x.status.last = await runPipeline(pipeline, x);
    }
  }
  return x.signal.aborted ? INTERRUPTED : status;
}

async function runPipeline(pipeline: Pipeline, x: Exec): Promise<number> {
  let stdin = x.stdin;
  let status = 0;
  for (let i = 0; i < pipeline.length; i++) {
    if (x.signal.aborted) return INTERRUPTED;
    const last = i === pipeline.length - 1;
    let captured = '';
    const io: ShellIo = last ? x.io : { stdout: (s) => (captured += s), stderr: x.io.stderr };
    const cmd = pipeline[i]!;
    status = 'clauses' in cmd ? await runIf(cmd, { ...x, io, stdin }) : await runSimple(cmd, { ...x, io, stdin });
    stdin = captured;
  }
  return status;
}

/** The first clause whose condition succeeds runs; none: `else`, or status 0. */
async function runIf(cmd: IfCommand, x: Exec): Promise<number> {
  for (const clause of cmd.clauses) {
    const status = await runLists(clause.cond, x);
    if (x.signal.aborted) return INTERRUPTED;
    if (status === 0) return runLists(clause.body, x);
  }
  return cmd.otherwise ? runLists(cmd.otherwise, x) : 0;
}

function expand(words: Word[], x: Exec): string[] {
  const out: string[] = [];
  for (const w of words) {
    if (typeof w === 'string') out.push(w.replaceAll(LAST_STATUS, String(x.status.last)));
    else out.push(...x.box.vfs.glob(w.glob, x.session.cwd));
  }
  return out;
}

async function runSimple(cmd: SimpleCommand, x: Exec): Promise<number> {
  const vfs = x.box.vfs;
  let stdout = x.io.stdout;
  let stderr = x.io.stderr;
  let stdin = x.stdin;
  for (const r of cmd.redirects) {
    if (r.kind === 'dup') {
      if (r.fd === 2) stderr = stdout;
      else stdout = stderr;
      continue;
    }
    const target = expand([r.target], x);
    if (target.length !== 1) {
      x.io.stderr(`sh: 1: ${typeof r.target === 'string' ? r.target : r.target.glob}: ambiguous redirect\n`);
      return 2;
    }
    const path = Vfs.resolve(target[0]!, x.session.cwd);
    if (r.kind === 'stdin') {
      try {
        stdin = vfs.readFile(path);
      } catch {
        x.io.stderr(`sh: 1: cannot open ${target[0]}: No such file\n`);
        return 2;
      }
      continue;
    }
    let sink: (s: string) => void;
    if (path === '/dev/null') sink = () => {};
    else {
      try {
        vfs.writeFile(path, '', r.append);
      } catch (e) {
        x.io.stderr(`sh: 1: cannot create ${target[0]}: ${e instanceof VfsError && e.message.endsWith('Is a directory') ? 'Is a directory' : 'Directory nonexistent'}\n`);
        return 2;
      }
      sink = (s) => {
        try {
          vfs.writeFile(path, s, true);
        } catch {
          // The file's directory vanished mid-command (rm -rf); output is lost, as on a real box.
        }
      };
    }
    if (r.fd === 1 || r.fd === 'both') stdout = sink;
    if (r.fd === 2 || r.fd === 'both') stderr = sink;
  }
  const argv = expand(cmd.words, x);
  // VAR=value prefixes only set the command's environment, which the simulated commands ignore.
  while (argv.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(argv[0]!)) argv.shift();
  if (argv.length === 0) return 0;
  return dispatch(argv, { ...x, stdin, io: { stdout, stderr } });
}

async function dispatch(argv: string[], x: Exec): Promise<number> {
  const name = argv[0]!.includes('/') ? argv[0]!.slice(argv[0]!.lastIndexOf('/') + 1) : argv[0]!;
  const builtin = BUILTINS[name];
  if (!builtin) {
    x.io.stderr(`sh: ${argv[0]}: command not found\n`);
    return 127;
  }
  if (name === 'exit') throw new ExitRequest(Number(argv[1] ?? 0) || 0);
  const c: CommandContext = {
    box: x.box,
    vfs: x.box.vfs,
    session: x.session,
    signal: x.signal,
    stdin: x.stdin,
    out: x.io.stdout,
    err: x.io.stderr,
    run: (nested, o) => dispatch(nested, { ...x, signal: o?.signal ?? x.signal, stdin: o?.stdin ?? x.stdin }),
    script: async (text, o) => {
      let lists: AndOrList[];
      try {
        lists = parseScript(text);
      } catch (e) {
        if (e instanceof ShellSyntaxError) {
          x.io.stderr(`sh: 1: ${e.message}\n`);
          return 2;
        }
        throw e;
      }
      try {
        return await runLists(lists, { ...x, signal: o?.signal ?? x.signal });
      } catch (e) {
        if (e instanceof ExitRequest) return e.code;
        throw e;
      }
    },
  };
  try {
    const code = await builtin(argv.slice(1), c);
    return x.signal.aborted ? INTERRUPTED : code;
  } catch (e) {
    if (e instanceof ExitRequest) throw e;
    if (e instanceof VfsError) {
      x.io.stderr(`${name}: ${e.message}\n`);
      return 1;
    }
    x.io.stderr(`${name}: internal error in the demo shell: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
