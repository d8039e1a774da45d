// The demo box's awk: the part of POSIX awk that one-line filters use — `BEGIN`/`END`,
// `pattern { action }` with expression and /regex/ patterns, fields ($0, $1, $NF, -F), NR, NF,
// variables, assignment (= += -=), arithmetic, comparison, ~ !~, && || !, string concatenation,
// print / printf, if/else, next, exit, length/substr/tolower/toupper. What it does not know is
// a syntax error, as awk reports one; it never runs anything nor opens a file.

type Value = number | string;

interface Tk {
  t: 'num' | 'str' | 're' | 'name' | 'func' | 'op' | 'nl' | 'eof';
  v: string;
}

export class AwkError extends Error {}

const KEYWORDS = new Set(['BEGIN', 'END', 'print', 'printf', 'if', 'else', 'next', 'exit']);
const FUNCS = new Set(['length', 'substr', 'tolower', 'toupper', 'int']);

function lex(src: string): Tk[] {
  const out: Tk[] = [];
  let i = 0;
  // A / starts a regex where an operand may start (not after a value).
  const valueBefore = () => {
    const p = out[out.length - 1];
    return p !== undefined && (p.t === 'num' || p.t === 'str' || p.t === 'name' || p.t === 're' || (p.t === 'op' && (p.v === ')' || p.v === '$')));
  };
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === ' ' || ch === '\t') i++;
    else if (ch === '\\' && src[i + 1] === '\n') i += 2;
    else if (ch === '\n' || ch === ';') {
      out.push({ t: 'nl', v: ch });
      i++;
    } else if (ch === '#') while (i < src.length && src[i] !== '\n') i++;
    else if (/[0-9.]/.test(ch) && /^\.?[0-9]/.test(src.slice(i, i + 2))) {
      const m = /^[0-9]*\.?[0-9]*(?:[eE][+-]?[0-9]+)?/.exec(src.slice(i))![0];
      out.push({ t: 'num', v: m });
      i += m.length;
    } else if (/[A-Za-z_]/.test(ch)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))![0];
      i += m.length;
      // NAME( is a call (awk's grammar: no space before the parenthesis); only FUNCS exist here.
      if (src[i] === '(' && !FUNCS.has(m) && !KEYWORDS.has(m)) throw new AwkError(`function ${m} is not supported by the demo awk (it knows ${[...FUNCS].join(', ')})`);
      out.push({ t: FUNCS.has(m) && src[i] === '(' ? 'func' : 'name', v: m });
    } else if (ch === '"') {
      let s = '';
      for (i++; i < src.length && src[i] !== '"'; i++) {
        if (src[i] === '\\' && i + 1 < src.length) {
          const e = src[++i]!;
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e === '\\' ? '\\' : e === '"' ? '"' : e === '/' ? '/' : `\\${e}`;
        } else s += src[i];
      }
      if (i >= src.length) throw new AwkError('non-terminated string');
      i++;
      out.push({ t: 'str', v: s });
    } else if (ch === '/' && !valueBefore()) {
      let s = '';
      for (i++; i < src.length && src[i] !== '/'; i++) {
        if (src[i] === '\\' && src[i + 1] === '/') s += src[++i];
        else if (src[i] === '\n') break;
        else s += src[i];
      }
      if (src[i] !== '/') throw new AwkError('non-terminated regular expression');
      i++;
      out.push({ t: 're', v: s });
    } else {
      const op = ['&&', '||', '==', '!=', '<=', '>=', '+=', '-=', '*=', '/=', '!~', '++', '--'].find((o) => src.startsWith(o, i)) ?? ch;
      if (!'&&||==!=<=>=+=-=*=/=!~++--{}()$,<>!~+-*/%=?:'.includes(op)) throw new AwkError(`syntax error at source line 1: unexpected character '${ch}'`);
      out.push({ t: 'op', v: op });
      i += op.length;
    }
  }
  out.push({ t: 'eof', v: '' });
  return out;
}

type Expr =
  | { k: 'num'; v: number }
  | { k: 'str'; v: string }
  | { k: 're'; v: RegExp }
  | { k: 'var'; name: string }
  | { k: 'field'; e: Expr }
  | { k: 'assign'; op: string; target: Expr; e: Expr }
  | { k: 'bin'; op: string; a: Expr; b: Expr }
  | { k: 'not'; e: Expr }
  | { k: 'neg'; e: Expr }
  | { k: 'incr'; by: number; target: Expr; post: boolean }
  | { k: 'cond'; c: Expr; a: Expr; b: Expr }
  | { k: 'call'; name: string; args: Expr[] };

type Stmt =
  | { k: 'print'; args: Expr[] }
  | { k: 'printf'; args: Expr[] }
  | { k: 'expr'; e: Expr }
  | { k: 'if'; c: Expr; then: Stmt[]; else?: Stmt[] }
  | { k: 'next' }
  | { k: 'exit'; e?: Expr };

interface Rule {
  kind: 'BEGIN' | 'END' | 'main';
  pattern?: Expr;
  action?: Stmt[];
}

class Parser {
  private i = 0;
  constructor(private readonly tks: Tk[]) {}

  private get tk(): Tk {
    return this.tks[this.i]!;
  }

  private is(t: Tk['t'], v?: string): boolean {
    return this.tk.t === t && (v === undefined || this.tk.v === v);
  }

  private eat(t: Tk['t'], v?: string): Tk {
    if (!this.is(t, v)) throw new AwkError(`syntax error at source line 1 near '${this.tk.v || 'end of program'}'`);
    return this.tks[this.i++]!;
  }

  private skipNl(): void {
    while (this.is('nl')) this.i++;
  }

  program(): Rule[] {
    const rules: Rule[] = [];
    for (this.skipNl(); !this.is('eof'); this.skipNl()) {
      if (this.is('name', 'BEGIN') || this.is('name', 'END')) {
        const kind = this.eat('name').v as 'BEGIN' | 'END';
        rules.push({ kind, action: this.block() });
      } else if (this.is('op', '{')) rules.push({ kind: 'main', action: this.block() });
      else {
        const pattern = this.expr();
        rules.push({ kind: 'main', pattern, action: this.is('op', '{') ? this.block() : undefined });
      }
    }
    return rules;
  }

  private block(): Stmt[] {
    this.eat('op', '{');
    const stmts: Stmt[] = [];
    for (this.skipNl(); !this.is('op', '}'); this.skipNl()) {
      stmts.push(this.stmt());
      if (!this.is('nl') && !this.is('op', '}')) throw new AwkError(`syntax error at source line 1 near '${this.tk.v || 'end of program'}'`);
    }
    this.eat('op', '}');
    return stmts;
  }

  private body(): Stmt[] {
    this.skipNl();
    return this.is('op', '{') ? this.block() : [this.stmt()];
  }

  private stmt(): Stmt {
    if (this.is('name', 'print') || this.is('name', 'printf')) {
      const k = this.eat('name').v as 'print' | 'printf';
      const args: Expr[] = [];
      if (!this.is('nl') && !this.is('op', '}')) {
        const paren = this.is('op', '(');
        args.push(this.expr(!paren));
        while (this.is('op', ',')) {
          this.i++;
          args.push(this.expr(!paren));
        }
      }
      if (this.is('op', '>')) throw new AwkError('output redirection is not supported by the demo awk');
      if (k === 'printf' && args.length === 0) throw new AwkError('printf: no format');
      return { k, args };
    }
    if (this.is('name', 'if')) {
      this.i++;
      this.eat('op', '(');
      const c = this.expr();
      this.eat('op', ')');
      const then = this.body();
      const save = this.i;
      this.skipNl();
      if (this.is('name', 'else')) {
        this.i++;
        return { k: 'if', c, then, else: this.body() };
      }
      this.i = save;
      return { k: 'if', c, then };
    }
    if (this.is('name', 'next')) {
      this.i++;
      return { k: 'next' };
    }
    if (this.is('name', 'exit')) {
      this.i++;
      return { k: 'exit', e: this.is('nl') || this.is('op', '}') ? undefined : this.expr() };
    }
    return { k: 'expr', e: this.expr() };
  }

  /** noGt: in print's arguments `>` is a redirection, not a comparison. */
  expr(noGt = false): Expr {
    return this.ternary(noGt);
  }

  private ternary(noGt: boolean): Expr {
    const c = this.assign(noGt);
    if (!this.is('op', '?')) return c;
    this.i++;
    const a = this.ternary(noGt);
    this.eat('op', ':');
    return { k: 'cond', c, a, b: this.ternary(noGt) };
  }

  private assign(noGt: boolean): Expr {
    const left = this.or(noGt);
    if (this.tk.t === 'op' && ['=', '+=', '-=', '*=', '/='].includes(this.tk.v)) {
      if (left.k !== 'var' && left.k !== 'field') throw new AwkError(`syntax error at source line 1 near '${this.tk.v}'`);
      const op = this.eat('op').v;
      return { k: 'assign', op, target: left, e: this.assign(noGt) };
    }
    return left;
  }

  /** One left-associative level: operands from next() joined by any of ops (|| and && may end a line). */
  private leftAssoc(ops: readonly string[], next: () => Expr): Expr {
    let a = next();
    while (this.tk.t === 'op' && ops.includes(this.tk.v)) {
      const op = this.eat('op').v;
      if (op === '||' || op === '&&') this.skipNl();
      a = { k: 'bin', op, a, b: next() };
    }
    return a;
  }

  private or(noGt: boolean): Expr {
    return this.leftAssoc(['||'], () => this.and(noGt));
  }

  private and(noGt: boolean): Expr {
    return this.leftAssoc(['&&'], () => this.match(noGt));
  }

  private match(noGt: boolean): Expr {
    return this.leftAssoc(['~', '!~'], () => this.compare(noGt));
  }

  private compare(noGt: boolean): Expr {
    const a = this.concat();
    if (this.tk.t === 'op' && ['<', '<=', '==', '!=', '>=', ...(noGt ? [] : ['>'])].includes(this.tk.v)) {
      const op = this.eat('op').v;
      return { k: 'bin', op, a, b: this.concat() };
    }
    return a;
  }

  /** Operands side by side concatenate. */
  private concat(): Expr {
    let a = this.additive();
    while (this.startsOperand()) a = { k: 'bin', op: 'concat', a, b: this.additive() };
    return a;
  }

  private startsOperand(): boolean {
    const t = this.tk;
    if (t.t === 'num' || t.t === 'str' || t.t === 're' || t.t === 'func') return true;
    if (t.t === 'name') return !KEYWORDS.has(t.v);
    return t.t === 'op' && (t.v === '$' || t.v === '(' || t.v === '!' || t.v === '-' || t.v === '++' || t.v === '--');
  }

  private additive(): Expr {
    return this.leftAssoc(['+', '-'], () => this.multiplicative());
  }

  private multiplicative(): Expr {
    return this.leftAssoc(['*', '/', '%'], () => this.unary());
  }

  private unary(): Expr {
    if (this.is('op', '!')) {
      this.i++;
      return { k: 'not', e: this.unary() };
    }
    if (this.is('op', '-')) {
      this.i++;
      return { k: 'neg', e: this.unary() };
    }
    if (this.is('op', '+')) {
      this.i++;
      return { k: 'bin', op: '+', a: { k: 'num', v: 0 }, b: this.unary() };
    }
    if (this.is('op', '++') || this.is('op', '--')) {
      const by = this.eat('op').v === '++' ? 1 : -1;
      const target = this.primary();
      if (target.k !== 'var' && target.k !== 'field') throw new AwkError('syntax error at source line 1: ++/-- needs a variable');
      return { k: 'incr', by, target, post: false };
    }
    const e = this.primary();
    if ((e.k === 'var' || e.k === 'field') && (this.is('op', '++') || this.is('op', '--'))) return { k: 'incr', by: this.eat('op').v === '++' ? 1 : -1, target: e, post: true };
    return e;
  }

  private primary(): Expr {
    const t = this.tk;
    switch (t.t) {
      case 'num':
        this.i++;
        return { k: 'num', v: Number(t.v) };
      case 'str':
        this.i++;
        return { k: 'str', v: t.v };
      case 're':
        this.i++;
        try {
          return { k: 're', v: new RegExp(t.v) };
        } catch {
          throw new AwkError(`syntax error in regular expression ${t.v}`);
        }
      case 'func': {
        this.i++;
        this.eat('op', '(');
        const args: Expr[] = [];
        if (!this.is('op', ')')) {
          args.push(this.expr());
          while (this.is('op', ',')) {
            this.i++;
            args.push(this.expr());
          }
        }
        this.eat('op', ')');
        return { k: 'call', name: t.v, args };
      }
      case 'name':
        if (KEYWORDS.has(t.v)) break;
        this.i++;
        // `length` without parentheses: the length of $0.
        return { k: 'var', name: t.v };
      case 'op':
        if (t.v === '$') {
          this.i++;
          return { k: 'field', e: this.primaryForField() };
        }
        if (t.v === '(') {
          this.i++;
          const e = this.expr();
          this.eat('op', ')');
          return e;
        }
        break;
      default:
        break;
    }
    throw new AwkError(`syntax error at source line 1 near '${t.v || 'end of program'}'`);
  }

  /** `$NF`, `$1`, `$(i+1)`, `$i++` is ($i)++. */
  private primaryForField(): Expr {
    if (this.is('op', '-')) {
      this.i++;
      return { k: 'neg', e: this.primaryForField() };
    }
    return this.primary();
  }
}

const NUMERIC = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

function num(v: Value): number {
  if (typeof v === 'number') return v;
  const m = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(v);
  return m ? Number(m[0]) : 0;
}

function str(v: Value): string {
  if (typeof v === 'string') return v;
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(6)));
}

const truthy = (v: Value) => (typeof v === 'number' ? v !== 0 : v !== '');

class Next {}
class Exit {
  constructor(readonly code: number) {}
}

function sprintf(format: string, args: Value[]): string {
  let k = 0;
  return format.replace(/%([-+ 0#]*)(\d*)(?:\.(\d+))?([sdifgeEcx%])/g, (_m, fl: string, width: string, prec: string | undefined, conv: string) => {
    if (conv === '%') return '%';
    const v = args[k++] ?? '';
    let s: string;
    switch (conv) {
      case 'd':
      case 'i':
        s = String(Math.trunc(num(v)));
        break;
      case 'x':
        s = Math.trunc(num(v)).toString(16);
        break;
      case 'f':
        s = num(v).toFixed(prec === undefined ? 6 : Number(prec));
        break;
      case 'e':
      case 'E':
        s = num(v).toExponential(prec === undefined ? 6 : Number(prec));
        if (conv === 'E') s = s.toUpperCase();
        break;
      case 'g':
        s = String(Number(num(v).toPrecision(prec === undefined ? 6 : Math.max(1, Number(prec)))));
        break;
      case 'c':
        s = typeof v === 'number' ? String.fromCharCode(v) : v.slice(0, 1);
        break;
      default:
        s = prec === undefined ? str(v) : str(v).slice(0, Number(prec));
    }
    const w = Number(width || 0);
    if (s.length >= w) return s;
    if (fl.includes('-')) return s.padEnd(w);
    return fl.includes('0') && conv !== 's' ? s.padStart(w, '0') : s.padStart(w);
  });
}

/** Runs `program` over `input` (lines); what print writes goes to out. Returns the exit status. */
export function runAwk(program: string, input: string, opts: { fs?: string; vars?: Record<string, string>; out: (s: string) => void; signal?: AbortSignal }): number {
  const rules = new Parser(lex(program)).program();
  const vars = new Map<string, Value>([
    ['NR', 0],
    ['NF', 0],
    ['FS', opts.fs ?? ' '],
    ['OFS', ' '],
    ['ORS', '\n'],
  ]);
  for (const [k, v] of Object.entries(opts.vars ?? {})) vars.set(k, v);
  let fields: string[] = [''];
  const splitFields = (line: string) => {
    const fs = str(vars.get('FS') ?? ' ');
    const parts = line === '' ? [] : fs === ' ' ? line.trim().split(/[ \t\n]+/).filter(Boolean) : line.split(fs.length === 1 ? fs : new RegExp(fs));
    fields = [line, ...parts];
    vars.set('NF', parts.length);
  };
  const getField = (i: number): string => {
    if (i < 0) throw new AwkError(`trying to access out of range field ${i}`);
    return fields[i] ?? '';
  };
  const setField = (i: number, v: string) => {
    if (i === 0) return splitFields(v);
    while (fields.length <= i) fields.push('');
    fields[i] = v;
    vars.set('NF', fields.length - 1);
    fields[0] = fields.slice(1).join(str(vars.get('OFS') ?? ' '));
  };
  const read = (e: Expr): Value => (e.k === 'var' ? (e.name === 'length' ? fields[0]!.length : (vars.get(e.name) ?? '')) : e.k === 'field' ? getField(Math.trunc(num(ev(e.e)))) : ev(e));
  const write = (e: Expr, v: Value) => {
    if (e.k === 'var') vars.set(e.name, v);
    else if (e.k === 'field') setField(Math.trunc(num(ev(e.e))), str(v));
  };
  // Input fields and variables compare as numbers when both look like numbers (strnum).
  const numericish = (v: Value) => typeof v === 'number' || NUMERIC.test(v);
  const ev = (e: Expr): Value => {
    switch (e.k) {
      case 'num':
      case 'str':
        return e.v;
      case 're':
        return e.v.test(fields[0]!) ? 1 : 0;
      case 'var':
      case 'field':
        return read(e);
      case 'assign': {
        const v = ev(e.e);
        const next = e.op === '=' ? v : arith(e.op[0]!, num(read(e.target)), num(v));
        write(e.target, next);
        return next;
      }
      case 'incr': {
        const before = num(read(e.target));
        write(e.target, before + e.by);
        return e.post ? before : before + e.by;
      }
      case 'not':
        return truthy(ev(e.e)) ? 0 : 1;
      case 'neg':
        return -num(ev(e.e));
      case 'cond':
        return truthy(ev(e.c)) ? ev(e.a) : ev(e.b);
      case 'call': {
        const a = e.args.map(ev);
        switch (e.name) {
          case 'length':
            return str(a[0] ?? fields[0]!).length;
          case 'substr': {
            const s = str(a[0] ?? '');
            const start = Math.round(num(a[1] ?? 1));
            const len = a[2] === undefined ? Infinity : Math.round(num(a[2]));
            const from = Math.max(start, 1);
            const to = Math.min(start + len, s.length + 1);
            return to > from ? s.slice(from - 1, to - 1) : '';
          }
          case 'tolower':
            return str(a[0] ?? '').toLowerCase();
          case 'toupper':
            return str(a[0] ?? '').toUpperCase();
          default:
            return Math.trunc(num(a[0] ?? 0));
        }
      }
      case 'bin': {
        if (e.op === '&&') return truthy(ev(e.a)) && truthy(ev(e.b)) ? 1 : 0;
        if (e.op === '||') return truthy(ev(e.a)) || truthy(ev(e.b)) ? 1 : 0;
        if (e.op === '~' || e.op === '!~') {
          const s = str(ev(e.a));
          let re: RegExp;
          if (e.b.k === 're') re = e.b.v;
          else
            try {
              re = new RegExp(str(ev(e.b)));
            } catch {
              throw new AwkError(`syntax error in regular expression ${str(ev(e.b))}`);
            }
          return re.test(s) === (e.op === '~') ? 1 : 0;
        }
        const a = ev(e.a);
        const b = ev(e.b);
        if (e.op === 'concat') return str(a) + str(b);
        if (['<', '<=', '==', '!=', '>=', '>'].includes(e.op)) {
          const both = numericish(a) && numericish(b);
          const x = both ? num(a) : str(a);
          const y = both ? num(b) : str(b);
          const r = e.op === '<' ? x < y : e.op === '<=' ? x <= y : e.op === '==' ? x === y : e.op === '!=' ? x !== y : e.op === '>=' ? x >= y : x > y;
          return r ? 1 : 0;
        }
        return arith(e.op, num(a), num(b));
      }
    }
  };
  const arith = (op: string, a: number, b: number): number => {
    switch (op) {
      case '+':
        return a + b;
      case '-':
        return a - b;
      case '*':
        return a * b;
      case '%':
        if (b === 0) throw new AwkError('division by zero in %');
        return a % b;
      default:
        if (b === 0) throw new AwkError('division by zero');
        return a / b;
    }
  };
  const exec = (stmts: Stmt[]): void => {
    for (const s of stmts) {
      switch (s.k) {
        case 'print': {
          const text = s.args.length === 0 ? fields[0]! : s.args.map((a) => str(ev(a))).join(str(vars.get('OFS') ?? ' '));
          opts.out(text + str(vars.get('ORS') ?? '\n'));
          break;
        }
        case 'printf': {
          const [format, ...rest] = s.args.map(ev);
          opts.out(sprintf(str(format!), rest));
          break;
        }
        case 'expr':
          ev(s.e);
          break;
        case 'if':
          if (truthy(ev(s.c))) exec(s.then);
          else if (s.else) exec(s.else);
          break;
        case 'next':
          throw new Next();
        case 'exit':
          throw new Exit(s.e ? Math.trunc(num(ev(s.e))) : 0);
      }
    }
  };
  let code = 0;
  let ended = false;
  const runEnd = () => {
    ended = true;
    for (const r of rules) if (r.kind === 'END') exec(r.action ?? []);
  };
  try {
    for (const r of rules) if (r.kind === 'BEGIN') exec(r.action ?? []);
    const main = rules.filter((r) => r.kind === 'main');
    if (main.length > 0 || rules.some((r) => r.kind === 'END')) {
      const lines = input === '' ? [] : input.replace(/\n$/, '').split('\n');
      for (const l of lines) {
        if (opts.signal?.aborted) return 130;
        vars.set('NR', num(vars.get('NR') ?? 0) + 1);
        splitFields(l);
        try {
          for (const r of main) {
            if (r.pattern && !truthy(ev(r.pattern))) continue;
            if (r.action) exec(r.action);
            else opts.out(fields[0]! + str(vars.get('ORS') ?? '\n'));
          }
        } catch (e) {
          if (!(e instanceof Next)) throw e;
        }
      }
    }
    runEnd();
  } catch (e) {
    if (!(e instanceof Exit)) throw e;
    code = e.code;
    // POSIX: exit outside END still runs the END actions (once).
    if (!ended)
      try {
        runEnd();
      } catch (e2) {
        if (!(e2 instanceof Exit)) throw e2;
        code = e2.code;
      }
  }
  return code;
}
