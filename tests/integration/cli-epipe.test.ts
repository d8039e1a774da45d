// A command piped into `head` (issue 12 item 16): when the reader goes away, the console stops
// writing quietly, with no EPIPE stack trace on stderr.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequest } from '../../src/approval/requests';
import { BIN } from '../helpers/cli';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'doai-epipe-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));

function pipeIntoHead(args: string[]): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const child = spawn('sh', ['-c', `node ${BIN} ${quoted} 2>"$ERR" | head -3; echo "exit $?" >&2`], { env: { ...process.env, ERR: join(dir, 'stderr') } });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.on('error', reject);
    child.on('exit', async (code) => {
      const { readFileSync } = await import('node:fs');
      resolve({ stdout, stderr: readFileSync(join(dir, 'stderr'), 'utf8'), code });
    });
  });
}

describe('output into a closed pipe', () => {
  it('approve | head -3 prints three lines and no EPIPE stack trace', { timeout: 60_000 }, async () => {
    const approvals = join(dir, 'approvals');
    for (let i = 0; i < 400; i++)
      createRequest(approvals, {
        runbook: 'l2-service-reset',
        level: 'L2',
        target: `svc-${i}`,
        requester: 'orion',
        step: 1,
        summary: `service ${i} not answering (3/3 failures) — ${'x'.repeat(200)}`,
        plan: Array.from({ length: 20 }, (_, j) => `vultr: step ${j} of the plan for svc-${i}`),
        expiresAt: new Date(Date.now() + 10 * 60_000),
      });
    const r = await pipeIntoHead(['approve', '--approvals-dir', approvals]);
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(3);
    expect(r.stderr).not.toMatch(/EPIPE|unexpected error|at .*\.js:\d+/);
  });
});
