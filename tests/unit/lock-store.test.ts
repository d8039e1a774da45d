// The files LockStore (R-RUN-7): a lock names its process by pid, host, boot id and start time,
// so a pid that is alive but belongs to another boot or another program (pid reuse after a
// reboot) does not hold the target; a refusal says how to clear a lock believed stale; under a
// setgid (system) state dir the lock folder is group-shared (02770) and lock files 0660.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { currentBootId, processStartTime } from '../../src/core/process-identity';
import { FileLockStore, lockPath } from '../../src/runbook/locks';
import { readLocks } from '../../src/watch/lock-reader';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'doai-lockstore-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));

const req = (runId: string, operator = 'orion') => ({ operator, runbook: 'l2-service-reset', level: 'L2', since: new Date(2026, 0, 4, 15, 31).toISOString(), runId });

function plant(store: FileLockStore, target: string, extra: Record<string, unknown>): void {
  mkdirSync(store.where, { recursive: true });
  writeFileSync(lockPath(store.where, target), JSON.stringify({ ...req('r-old', 'vega'), hostname: hostname(), ...extra }));
}

describe('FileLockStore', () => {
  it('records pid, host, boot id and the process start time (/proc/<pid>/stat field 22)', () => {
    const store = new FileLockStore(join(dir, 'locks'));
    const got = store.acquire('api', req('r-1'));
    expect(got.ok).toBe(true);
    const written = JSON.parse(readFileSync(lockPath(store.where, 'api'), 'utf8'));
    expect(written).toMatchObject({ pid: process.pid, hostname: hostname(), runId: 'r-1' });
    expect(written.bootId).toMatch(/^[0-9a-f-]{36}$/);
    expect(written.bootId).toBe(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
    const stat = readFileSync(`/proc/${process.pid}/stat`, 'utf8');
    expect(written.startTime).toBe(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    expect(store.holder('api')).toMatchObject({ runId: 'r-1', alive: true });
    expect([...store.list().keys()]).toEqual(['api']);
    store.release('api', 'r-1');
    expect(store.holder('api')).toBeUndefined();
  });

  it('a live pid from another boot is stale: replaced, and watch sees it dead', () => {
    const store = new FileLockStore(join(dir, 'locks'));
    // pid 1 runs, but the lock was written in another boot (the machine rebooted since).
    plant(store, 'api', { pid: 1, bootId: '00000000-0000-4000-8000-000000000000' });
    expect(store.holder('api')?.alive).toBe(false);
    expect(readLocks(store.where)[0]).toMatchObject({ runId: 'r-old', alive: false });
    const got = store.acquire('api', req('r-new'));
    expect(got).toMatchObject({ ok: true, replacedStale: { runId: 'r-old' } });
  });

  it('a live pid with another start time is another program (pid reuse): stale', () => {
    const store = new FileLockStore(join(dir, 'locks'));
    const mine = Number(processStartTime(process.pid));
    plant(store, 'api', { pid: process.pid, bootId: currentBootId(), startTime: String(mine + 12345) });
    expect(store.holder('api')?.alive).toBe(false);
    expect(store.acquire('api', req('r-new')).ok).toBe(true);
  });

  it('the same pid, boot and start time holds: refused with who, since when, and how to clear it', () => {
    const store = new FileLockStore(join(dir, 'locks'));
    plant(store, 'api', { pid: process.pid, bootId: currentBootId(), startTime: processStartTime(process.pid) });
    const got = store.acquire('api', req('r-new'));
    if (got.ok) throw new Error('expected a refusal');
    expect(got.message).toBe('L2 in progress by vega since 15:31 (run r-old)');
    expect(got.hint).toBe(`if you are sure that console is gone (\`ps -p ${process.pid}\` shows nothing, or another program), remove the lock of pid ${process.pid} on ${hostname()}: rm '${lockPath(store.where, 'api')}'`);
  });

  it('under a setgid state dir the lock folder is 02770 and lock files 0660 whatever the umask', () => {
    const system = join(dir, 'system');
    mkdirSync(system);
    chmodSync(system, 0o2775);
    const old = process.umask(0o077);
    try {
      const store = new FileLockStore(join(system, 'locks'));
      expect(store.acquire('api', req('r-1')).ok).toBe(true);
      expect(statSync(store.where).mode & 0o7777).toBe(0o2770);
      expect(statSync(lockPath(store.where, 'api')).mode & 0o777).toBe(0o660);
      const own = new FileLockStore(join(dir, 'private', 'locks'));
      expect(own.acquire('api', req('r-2')).ok).toBe(true);
      expect(statSync(own.where).mode & 0o7777).toBe(0o700);
      expect(statSync(lockPath(own.where, 'api')).mode & 0o777).toBe(0o600);
    } finally {
      process.umask(old);
    }
  });
});
