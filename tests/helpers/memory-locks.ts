// A lock store kept in memory for engine tests (LockStore without confirm or onLost: what the file
// store does, on one box `box-a`); subclasses add the store-away and lock-lost sides.
import type { AcquireResult, HeldLock, LockRequest, LockStore } from '../../src/runbook/lock-store';

export class MemoryLocks implements LockStore {
  readonly where = 'memory';
  readonly rows = new Map<string, HeldLock>();
  acquire(target: string, request: LockRequest): AcquireResult {
    const h = this.rows.get(target);
    if (h) return { ok: false, holder: h, message: 'held' };
    this.rows.set(target, { pid: 1, hostname: 'box-a', ...request, alive: true } as HeldLock);
    return { ok: true, release: () => this.release(target, request.runId) };
  }
  release(target: string, runId: string): void {
    if (this.rows.get(target)?.runId === runId) this.rows.delete(target);
  }
  holder(target: string): HeldLock | undefined {
    return this.rows.get(target);
  }
  list(): Map<string, HeldLock> {
    return new Map(this.rows);
  }
  clearHint(): string {
    return '';
  }
}
