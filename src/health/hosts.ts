// Host metrics over SSH (R-HLT-4, seed 004's `df -h` / `free -h` checks, seed 002's disk > 80 %):
// one command, one connection, output parsed by shape rather than by position so a distro's
// extra lines (old procps' "-/+ buffers/cache", snap mounts) do not shift anything.
import type { HostMetrics } from '../core/views';

/**
 * What the host runs. `nproc` may be missing (busybox); `free -m` too (then /proc/meminfo is
 * read); `df -P` keeps one line per filesystem, in 1024-blocks, the same on every coreutils.
 */
export const HOST_METRICS_COMMAND =
  'cat /proc/loadavg; nproc 2>/dev/null; free -m 2>/dev/null || cat /proc/meminfo; df -P';

/** Pseudo and read-only filesystems whose fullness means nothing (a squashfs snap is always 100 %). */
const IGNORED_FS = /^(tmpfs|devtmpfs|udev|overlay|shm|none|squashfs|efivarfs|proc|sysfs|cgroup2?)$/;
const IGNORED_MOUNT = /^\/(snap|proc|sys|dev|run)(\/|$)/;

export type HostMetricsParse = { ok: true; metrics: HostMetrics } | { ok: false; error: string };

export function parseHostMetrics(lines: readonly string[], at: Date, diskThreshold: number): HostMetricsParse {
  let load: [number, number, number] | undefined;
  let cpus: number | undefined;
  let memTotalMb: number | undefined;
  let memUsedMb: number | undefined;
  let memInfoTotalKb: number | undefined;
  let memInfoAvailKb: number | undefined;
  const disks: { mount: string; usedRatio: number }[] = [];

  for (const raw of lines) {
    const line = raw.trim();
    let m: RegExpExecArray | null;
    if (!load && (m = /^(\d+(?:\.\d+)?)\s+(\d+(?:\.\d+)?)\s+(\d+(?:\.\d+)?)\s+\d+\/\d+\s+\d+$/.exec(line))) {
      load = [Number(m[1]), Number(m[2]), Number(m[3])];
    } else if (cpus === undefined && /^\d{1,4}$/.test(line)) {
      cpus = Number(line);
    } else if ((m = /^Mem:\s+(\d+)\s+(\d+)/.exec(line))) {
      memTotalMb = Number(m[1]);
      memUsedMb = Number(m[2]);
    } else if ((m = /^MemTotal:\s+(\d+)\s*kB/i.exec(line))) {
      memInfoTotalKb = Number(m[1]);
    } else if ((m = /^MemAvailable:\s+(\d+)\s*kB/i.exec(line))) {
      memInfoAvailKb = Number(m[1]);
    } else if ((m = /^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)%\s+(\/.*)$/.exec(line))) {
      const [, fs, blocks, used, avail, , mount] = m;
      if (IGNORED_FS.test(fs!) || IGNORED_MOUNT.test(mount!) || Number(blocks) === 0) continue;
      // df's own Capacity rounds up; used / (used + avail) is what it rounds (reserved blocks excluded).
      const denom = Number(used) + Number(avail);
      disks.push({ mount: mount!, usedRatio: denom > 0 ? Number(used) / denom : 0 });
    }
  }
  if (memTotalMb === undefined && memInfoTotalKb !== undefined) {
    memTotalMb = Math.round(memInfoTotalKb / 1024);
    if (memInfoAvailKb !== undefined) memUsedMb = Math.round((memInfoTotalKb - memInfoAvailKb) / 1024);
  }
  if (!load && memTotalMb === undefined && disks.length === 0) {
    const first = lines.find((l) => l.trim() !== '') ?? '(no output)';
    return { ok: false, error: `unexpected output from the metrics command: "${first.slice(0, 60)}"` };
  }
  disks.sort((a, b) => b.usedRatio - a.usedRatio);
  return {
    ok: true,
    metrics: {
      load1: load?.[0] ?? NaN,
      load5: load?.[1] ?? NaN,
      load15: load?.[2] ?? NaN,
      ...(cpus !== undefined && cpus > 0 ? { cpus } : {}),
      ...(memTotalMb !== undefined ? { memTotalMb } : {}),
      ...(memUsedMb !== undefined ? { memUsedMb } : {}),
      ...(disks[0] ? { disk: disks[0] } : {}),
      diskOver: disks.filter((d) => d.usedRatio > diskThreshold),
      at,
    },
  };
}
