// The demo box's awk (src/demo/awk.ts) against the machine's own awk: the same program over the
// same input prints the same, for the one-line filters runbooks and probes use. What the demo awk
// does not do (write files, unknown syntax) is refused with awk's exit status 2, nothing written.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { AwkError, runAwk } from '../../src/demo/awk';

const INPUT = ['1701600000.5 pg_2.sql.gz', '1701500000 pg_1.sql.gz', 'x  y   z', '', '42 answer  7'].join('\n') + '\n';

function demo(program: string, input: string, args: { fs?: string; vars?: Record<string, string> } = {}): { out: string; code: number } {
  let out = '';
  const code = runAwk(program, input, { ...args, out: (s) => (out += s) });
  return { out, code };
}

function real(program: string, input: string, args: string[] = []): { out: string; code: number } {
  const r = spawnSync('awk', [...args, program], { input, encoding: 'utf8' });
  if (r.error) throw r.error;
  return { out: r.stdout, code: r.status ?? -1 };
}

describe('demo awk', () => {
  const programs = [
    `NR==1{f=$0} END{print NR" "f}`,
    '{ print $1 }',
    '{ print NF, $NF }',
    '$2 ~ /^pg_/ { n++ } END { print n + 0 }',
    '$1 > 1701550000',
    'NR % 2 == 1 { print NR ": " $0 }',
    'NR > 2 { s += $1 } END { printf "%d %.2f %5s|%-4s|\\n", s, s / NR, "ab", "c" }',
    'BEGIN { x = 2 + 3 * 4 - 10 / 5; print x, -x, !x, x % 5 }',
    '/answer/ { print toupper($2), length($2), substr($2, 2, 3); next } { print "other" }',
    '{ if ($1 == "x") print "ex"; else if (NF > 2) print "many"; else print "few" }',
    'NR == 2 { exit 3 } { print } END { print "end" }',
    '{ $2 = "<" $2 ">"; print; print NF }',
    '{ print ($1 < $3) ? "lt" : "ge" }',
    'END { print NR }',
  ];
  for (const p of programs) {
    it(`prints what awk prints: ${p}`, () => {
      // A BEGIN-only program reads no input (awk may be gone before it could be written).
      const input = p.startsWith('BEGIN') ? '' : INPUT;
      expect(demo(p, input)).toEqual(real(p, input));
    });
  }

  it('-F and -v as awk takes them', () => {
    const input = 'a:1:x\nb:22:y\n';
    expect(demo('$2 > lim { print $1, $3 }', input, { fs: ':', vars: { lim: '5' } })).toEqual(real('$2 > lim { print $1, $3 }', input, ['-F:', '-v', 'lim=5']));
  });

  it('refuses output redirection and broken programs (a syntax error, never a guess)', () => {
    expect(() => demo('{ print $1 > "/etc/passwd" }', INPUT)).toThrow(AwkError);
    expect(() => demo('{ print ( }', INPUT)).toThrow(AwkError);
    expect(() => demo('{ print "open }', INPUT)).toThrow(AwkError);
    expect(() => demo('{ system("rm -rf /") }', INPUT)).toThrow(AwkError);
  });
});
