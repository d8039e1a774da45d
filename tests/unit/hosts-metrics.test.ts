// Host metrics parsing (R-HLT-4, seed 004's checks, seed 002's disk > 80 %): real outputs of
// Ubuntu 22.04, an old procps, busybox without free, and the demo box.
import { describe, expect, it } from 'vitest';
import { HOST_METRICS_COMMAND, parseHostMetrics } from '../../src/health/hosts';

const AT = new Date(Date.UTC(2026, 0, 4, 6, 30));
const lines = (text: string) => text.split('\n');

const UBUNTU = `0.42 0.37 0.31 2/311 4242
2
               total        used        free      shared  buff/cache   available
Mem:            3911        1423         512          12        1975        2211
Swap:           2047           0        2047
Filesystem     1024-blocks     Used Available Capacity Mounted on
tmpfs               400452     1220    399232       1% /run
/dev/vda1         80995012 69018904  11976108      86% /
tmpfs              2002432        0   2002432       0% /dev/shm
/dev/loop0           65536    65536         0     100% /snap/core20/2015
/dev/vda15          106858     6186    100672       6% /boot/efi
/dev/vdb1        206293688 173286698  22517998      89% /var/lib/postgresql`;

describe('parseHostMetrics', () => {
  it('reads load, CPUs, memory and the fullest real filesystem; flags every one over 80 %', () => {
    const r = parseHostMetrics(lines(UBUNTU), AT, 0.8);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.metrics).toMatchObject({ load1: 0.42, load5: 0.37, load15: 0.31, cpus: 2, memTotalMb: 3911, memUsedMb: 1423, at: AT });
    // The snap loop mount is always 100 % and means nothing; tmpfs neither.
    expect(r.metrics.diskOver.map((d) => d.mount)).toEqual(['/var/lib/postgresql', '/']);
    expect(r.metrics.disk?.mount).toBe('/var/lib/postgresql');
    expect(r.metrics.disk?.usedRatio).toBeCloseTo(173286698 / (173286698 + 22517998), 5);
  });

  it('below the threshold nothing is flagged; the threshold is the configured one', () => {
    const ok = parseHostMetrics(lines('0.1 0.1 0.1 1/100 99\n/dev/sda1 100 79 21 79% /'), AT, 0.8);
    expect(ok.ok && ok.metrics.diskOver).toEqual([]);
    const strict = parseHostMetrics(lines('0.1 0.1 0.1 1/100 99\n/dev/sda1 100 79 21 79% /'), AT, 0.5);
    expect(strict.ok && strict.metrics.diskOver.map((d) => d.mount)).toEqual(['/']);
  });

  it('old procps free (with -/+ buffers/cache) and busybox without free (reads /proc/meminfo)', () => {
    const old = parseHostMetrics(
      lines(`1.50 1.20 1.00 3/200 1000
             total       used       free     shared    buffers     cached
Mem:          1999       1800        199          0         50        900
-/+ buffers/cache:        850       1149
Swap:            0          0          0
/dev/sda1 1000 500 500 50% /`),
      AT,
      0.8,
    );
    expect(old.ok && old.metrics).toMatchObject({ memTotalMb: 1999, memUsedMb: 1800 });
    const busybox = parseHostMetrics(lines('0.00 0.00 0.00 1/50 12\nMemTotal:        2048000 kB\nMemFree:          100000 kB\nMemAvailable:    1024000 kB\n/dev/root 1000 100 900 10% /'), AT, 0.8);
    expect(busybox.ok && busybox.metrics).toMatchObject({ memTotalMb: 2000, memUsedMb: 1000 });
    expect(busybox.ok && busybox.metrics.cpus).toBeUndefined();
  });

  it('output that is none of these is an error in words quoting the first line', () => {
    expect(parseHostMetrics(lines('sh: 1: cat: Permission denied\n'), AT, 0.8)).toEqual({
      ok: false,
      error: 'unexpected output from the metrics command: "sh: 1: cat: Permission denied"',
    });
    expect(parseHostMetrics([], AT, 0.8)).toMatchObject({ ok: false, error: expect.stringContaining('(no output)') });
  });

  it('the command is one SSH round trip reading /proc/loadavg, free -m (or /proc/meminfo) and df -P', () => {
    expect(HOST_METRICS_COMMAND).toBe('cat /proc/loadavg; nproc 2>/dev/null; free -m 2>/dev/null || cat /proc/meminfo; df -P');
  });
});
