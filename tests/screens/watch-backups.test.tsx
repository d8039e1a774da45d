// The wall screen flags backups older than their RPO (issue 17 item 9) from the hosts' backup
// freshness (the fact check and the hosts pane use; attached, the server's hosts snapshot), and a
// standalone wall that reads no host says so instead of staying silent.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import stringWidth from 'string-width';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WatchApp } from '../../screens/watch/watch-app';
import { BatchedStore } from '../../src/core/store';
import type { HostsSnapshot } from '../../src/core/views';
import type { BackupFreshness } from '../../src/health/backup-freshness';
import { CoalescedStore } from '../../src/watch/coalesce';
import { LiveRunsSource } from '../../src/watch/live-runs';
import { MemoryFleetStore, service, T0, waitForFrame } from './fixtures';

// Every folder a test made (one test draws the wall in both languages: two).
const dirs: string[] = [];
afterEach(() => {
  cleanup();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true, maxRetries: 10 });
});

class MemoryHosts extends BatchedStore<HostsSnapshot> {
  constructor(backups: BackupFreshness[]) {
    super({ hosts: [{ name: 'box', address: '127.0.0.1', reachability: 'REACHABLE', consecutiveFailures: 0, threshold: 3, lastProbeAt: T0, lastChangeAt: T0, backups }], diskThreshold: 0.8, updatedAt: T0 }, 0);
  }
  setBackups(backups: BackupFreshness[]): void {
    const s = this.getSnapshot();
    this.set({ ...s, hosts: s.hosts.map((h) => ({ ...h, backups })) });
  }
}

const fresh: BackupFreshness = { service: 'refserver', dir: '/data/backups/chromadb/daily', pattern: 'chromadb_*_full.tar.gz', rpoH: 24, verdict: 'ok', count: 3, newestName: 'chromadb_20260104_030000_full.tar.gz', ageS: 3 * 3600 };
const stale: BackupFreshness = { ...fresh, verdict: 'stale', newestName: 'chromadb_20260102_030000_full.tar.gz', ageS: 51 * 3600 };

function setup(extra: { hosts?: MemoryHosts; backupsConfigured?: boolean; width?: number; lang?: 'en' | 'ko' }) {
  const dir = mkdtempSync(join(tmpdir(), 'doai-watch-backups-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'journal'));
  mkdirSync(join(dir, 'locks'));
  const fleet = new MemoryFleetStore([service({ name: 'refserver' })]);
  const live = new LiveRunsSource({ journalDir: join(dir, 'journal'), lockDir: join(dir, 'locks'), runbook: () => undefined, scanMs: 0 });
  const frames = new CoalescedStore(extra.hosts ? [fleet, live, extra.hosts] : [fleet, live], 10);
  live.poll();
  return render(<WatchApp fleet={fleet} live={live} frames={frames} lang={extra.lang ?? 'en'} configPath="/etc/doai/console.yaml" clock={{ now: () => T0 }} height={24} onExit={() => {}} {...extra} width={extra.width ?? 130} />);
}

describe('wall screen: backups against the RPO', () => {
  it('flags a service whose newest backup is older than its RPO, and drops the flag when a fresh one appears', async () => {
    const hosts = new MemoryHosts([stale]);
    const r = setup({ hosts });
    let f = await waitForFrame(r.lastFrame, (x) => x.includes('backup over RPO'));
    expect(f).toContain('⚠ backup over RPO: refserver: newest backup 2 d old > RPO 24 h — /data/backups/chromadb/daily/chromadb_*_full.tar.gz');
    hosts.setBackups([fresh]);
    f = await waitForFrame(r.lastFrame, (x) => !x.includes('backup over RPO'));
    expect(f).not.toContain('RPO');
  });

  it('a missing backup folder is flagged too', async () => {
    const r = setup({ hosts: new MemoryHosts([{ ...fresh, verdict: 'missing', count: 0, newestName: undefined, ageS: undefined, error: 'no such folder' }]) });
    const f = await waitForFrame(r.lastFrame, (x) => x.includes('backup over RPO'));
    expect(f).toContain('⚠ backup over RPO: refserver: no backup folder (RPO 24 h) — /data/backups/chromadb/daily/chromadb_*_full.tar.gz');
  });

  it('a standalone wall with backups configured says it does not read them', async () => {
    const r = setup({ backupsConfigured: true });
    const f = await waitForFrame(r.lastFrame, (x) => x.includes('backups vs RPO'));
    expect(f).toContain('backups vs RPO: not read by a standalone wall (the server reads them; so does check)');
  });

  it('at 80 columns the line wraps under itself: the folder at its end is on the wall, not cut (en, ko)', async () => {
    for (const [lang, head] of [
      ['en', '⚠ backup over RPO: refserver: newest backup 2 d old > RPO 24 h —'],
      ['ko', '⚠ 백업 RPO 초과: refserver: 최신 백업 '],
    ] as const) {
      const r = setup({ hosts: new MemoryHosts([stale]), width: 80, lang });
      const f = await waitForFrame(r.lastFrame, (x) => x.includes(head.slice(0, 12)));
      const lines = f.split('\n');
      const at = lines.findIndex((l) => l.startsWith(head.slice(0, 12)));
      expect(lines[at]).toContain(head);
      expect(lines[at + 1]).toMatch(/^ {2}\S/);
      expect(`${lines[at]} ${lines[at + 1]!.trim()}`).toContain('/data/backups/chromadb/daily/chromadb_*_full.tar.gz');
      for (const l of lines) expect(stringWidth(l)).toBeLessThanOrEqual(80);
      expect(lines.slice(at, at + 2).filter((l) => l.endsWith('…'))).toEqual([]);
      cleanup();
    }
    // The standalone wall's note (82 columns) too.
    const r = setup({ backupsConfigured: true, width: 80 });
    const f = await waitForFrame(r.lastFrame, (x) => x.includes('backups vs RPO'));
    expect(f.split('\n').map((l) => l.trim()).join(' ')).toContain('backups vs RPO: not read by a standalone wall (the server reads them; so does check)');
  });
});
