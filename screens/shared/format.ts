// Small display formats shared by the screens; pure so they are tested without rendering.

/** Time since a moment, two units at most: "12s", "4m12s", "3h05m", "2d04h". */
export function formatSince(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  const d = Math.floor(h / 24);
  return `${d}d${String(h % 24).padStart(2, '0')}h`;
}

/** A step duration: "0.4s", "12.3s", "2m05s". */
export function formatDuration(ms: number): string {
  const clamped = Math.max(0, ms);
  if (clamped < 60_000) return `${(clamped / 1000).toFixed(1)}s`;
  return formatSince(clamped);
}

/** Latency in a fixed 7 columns or less: "123ms", "12.3s". */
export function formatLatency(ms: number | undefined): string {
  if (ms === undefined) return '—';
  if (ms < 10_000) return `${Math.round(ms)}ms`;
  return `${(ms / 1000).toFixed(1)}s`;
}

/** Wall-clock time of day in the local zone, HH:MM:SS. */
export function formatClock(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

const BARS = '▁▂▃▄▅▆▇█';

/**
 * The last `width` samples as a sparkline, scaled between the lowest and highest sample shown;
 * a failed probe (null) is ×. An all-equal series sits on the floor.
 */
export function sparkline(samples: readonly (number | null)[], width: number): string {
  if (width <= 0) return '';
  const shown = samples.slice(-width);
  const values = shown.filter((v): v is number => v !== null);
  const lo = values.length ? Math.min(...values) : 0;
  const hi = values.length ? Math.max(...values) : 0;
  return shown
    .map((v) => {
      if (v === null) return '×';
      if (hi === lo) return BARS[0];
      const i = Math.round(((v - lo) / (hi - lo)) * (BARS.length - 1));
      return BARS[Math.min(BARS.length - 1, Math.max(0, i))];
    })
    .join('');
}
