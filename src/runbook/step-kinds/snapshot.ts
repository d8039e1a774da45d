// `snapshot` (R-RUN-1 L2, seed 000): runs each command on the host into a file under a
// timestamped folder there, then copies every file back with `cat` over the same SSH into the
// local snapshots folder (paths.snapshots_dir/<run id>/), so the evidence survives what comes
// next (a cache wipe, a reboot) and is at hand for the incident report.
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { shellQuote } from '../../ssh/quote';
import type { SnapshotStep } from '../schema';
import { execRemote, registerStepKind, type StepContext } from '../step-kinds';

function remotePath(dir: string, name: string): string {
  return `${dir.replace(/\/+$/, '')}/${name}`;
}

/** The line that writes one file on the host; sh -c keeps `a || b` inside the redirect. */
export function snapshotCommand(dir: string, file: { name: string; run: string }): string {
  return `sh -c ${shellQuote(file.run)} > ${shellQuote(remotePath(dir, file.name))}`;
}

function userAt(host: string, ctx: Pick<StepContext, 'hosts'>): string {
  return `${ctx.hosts.get(host)?.user ?? 'root'}@${host}`;
}

/** Copies one remote file into a local one, line by line, owner-only. */
async function copyBack(step: SnapshotStep, remote: string, local: string, ctx: StepContext): Promise<{ ok: true; lines: number } | { ok: false; message: string }> {
  const lines: string[] = [];
  const errors: string[] = [];
  const res = await execRemote(step.host!, `cat ${shellQuote(remote)}`, step.timeout_s, {
    ...ctx,
    output: (stream, line) => (stream === 'stdout' ? lines.push(line) : errors.push(line)),
  });
  if (res.outcome !== 'ok') return { ok: false, message: `${res.message}${errors.length ? ` (${errors.slice(-1)[0]})` : ''}` };
  const fd = openSync(local, 'wx', 0o600);
  try {
    if (lines.length > 0) writeSync(fd, lines.join('\n') + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return { ok: true, lines: lines.length };
}

registerStepKind<SnapshotStep>('snapshot', {
  async run(step, ctx) {
    const host = step.host!;
    const mk = await execRemote(host, `mkdir -p ${shellQuote(step.dir)}`, step.timeout_s, ctx);
    if (mk.outcome !== 'ok') return { outcome: 'failed', message: `cannot create ${step.dir} on ${host}: ${mk.message}` };
    let localDir: string | undefined;
    let localProblem: string | undefined;
    if (step.copy_local) {
      if (!ctx.snapshotsDir) localProblem = 'no local snapshots folder configured (paths.snapshots_dir)';
      else {
        try {
          mkdirSync(ctx.snapshotsDir, { recursive: true, mode: 0o700 });
          localDir = ctx.snapshotsDir;
        } catch (err) {
          localProblem = `cannot create ${ctx.snapshotsDir}: ${(err as Error).message}; check paths.snapshots_dir`;
        }
      }
      if (localProblem) ctx.output('stderr', `local copy skipped: ${localProblem}`);
    }
    const failed: string[] = [];
    let saved = 0;
    for (const file of step.files) {
      if (ctx.signal.aborted) return { outcome: 'failed', message: 'cancelled' };
      const remote = remotePath(step.dir, file.name);
      ctx.progress(`${file.name} (${saved + failed.length + 1}/${step.files.length})`);
      const res = await execRemote(host, snapshotCommand(step.dir, file), step.timeout_s, ctx);
      if (res.outcome !== 'ok') {
        failed.push(`${file.name}: ${res.message}`);
        ctx.output('stderr', `${remote}: ${file.run} failed: ${res.message}`);
        continue;
      }
      saved++;
      if (!localDir) {
        ctx.output('stdout', `saved ${remote}`);
        continue;
      }
      const local = join(localDir, file.name);
      try {
        const copy = await copyBack(step, remote, local, ctx);
        if (copy.ok) ctx.output('stdout', `saved ${remote} → ${local} (${copy.lines} lines)`);
        else {
          ctx.output('stderr', `saved ${remote}; copying it to ${local} failed: ${copy.message}`);
          failed.push(`${file.name}: local copy failed: ${copy.message}`);
        }
      } catch (err) {
        ctx.output('stderr', `saved ${remote}; writing ${local} failed: ${(err as Error).message}`);
        failed.push(`${file.name}: local copy failed: ${(err as Error).message}`);
      }
    }
    if (ctx.signal.aborted) return { outcome: 'failed', message: 'cancelled' };
    ctx.output('stdout', `snapshot: ${step.dir} on ${host}${localDir ? `, copied to ${localDir}` : ''}`);
    // Seed 000 keeps going when one capture fails (no set -e): a partial snapshot is still
    // evidence, and the message names what is missing. Nothing saved at all is a failure.
    if (saved === 0) return { outcome: 'failed', message: `no snapshot file could be saved: ${failed.join('; ')}` };
    const where = localDir ? `${step.dir} on ${host} and ${localDir}` : `${step.dir} on ${host}`;
    if (failed.length > 0) return { outcome: 'ok', message: `${saved}/${step.files.length} files saved in ${where}; missing: ${failed.join('; ')}` };
    return { outcome: 'ok', message: `${saved} files saved in ${where}` };
  },
  describe(step, ctx) {
    const lines = [`ssh ${userAt(step.host!, ctx)}: mkdir -p ${shellQuote(step.dir)}`];
    for (const file of step.files) lines.push(`ssh ${userAt(step.host!, ctx)}: ${snapshotCommand(step.dir, file)}`);
    if (step.copy_local) lines.push(`copy ${step.files.map((f) => f.name).join(', ')} back over ssh (cat) into the local snapshots folder <paths.snapshots_dir>/<run id>/`);
    return lines;
  },
});
