// A path printed inside a command to paste (the demo's second-terminal command, `approve`'s hint,
// the approval form's --approvals-dir) must reach the program as the one word it was.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellWord } from '../../src/ssh/quote';
import { approveDirFlag, DEFAULT_APPROVALS_DIR } from '../../src/config/approvals-dir';

/** The words /bin/sh makes of `line`, one per NUL. */
function wordsOf(line: string): string[] {
  const out = execFileSync('/bin/sh', ['-c', `printf '%s\\0' ${line}`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

describe('shellWord', () => {
  const values = ['/var/lib/doai-console/run/console.sock', '/tmp/a b/console.yaml', "/home/o'brien/demo", 'a$HOME`id`;rm -rf x', 'tab\there', '*', '~', ''];

  it('leaves a plain path bare and quotes anything a shell would change', () => {
    expect(shellWord('/var/lib/doai-console/run/console.sock')).toBe('/var/lib/doai-console/run/console.sock');
    expect(shellWord('/tmp/a b')).toBe("'/tmp/a b'");
    expect(shellWord("o'brien")).toBe("'o'\\''brien'");
  });

  it('every value reaches the program as the one word it was', () => {
    for (const v of values) expect(wordsOf(`--config ${shellWord(v)}`)).toEqual(['--config', v]);
  });

  it('the approve hint for another approvals folder survives a space and a quote', () => {
    expect(approveDirFlag(DEFAULT_APPROVALS_DIR)).toBe('');
    const dir = "/srv/ops team/o'brien approvals";
    expect(wordsOf(`approve 1234${approveDirFlag(dir)}`)).toEqual(['approve', '1234', '--approvals-dir', dir]);
  });
});
