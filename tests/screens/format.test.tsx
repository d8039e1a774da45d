import { describe, expect, it } from 'vitest';
import stringWidth from 'string-width';
import { formatDuration, formatLatency, formatSince, sparkline } from '../../screens/shared/format';
import { fit, sanitizeLine, truncate } from '../../screens/shared/text';
import { serviceColumns } from '../../screens/dashboard/layout';
import { sortWorstFirst, windowStart } from '../../screens/dashboard/services-pane';
import { runLayout } from '../../screens/run/layout';
import { service, T0 } from './fixtures';

describe('display formats', () => {
  it('formats time since a change and step durations', () => {
    expect(formatSince(252_000)).toBe('4m12s');
    expect(formatSince(9_000)).toBe('9s');
    expect(formatSince(3 * 3600_000 + 5 * 60_000)).toBe('3h05m');
    expect(formatSince(50 * 3600_000)).toBe('2d02h');
    expect(formatDuration(1234)).toBe('1.2s');
    expect(formatDuration(125_000)).toBe('2m05s');
    expect(formatLatency(830)).toBe('830ms');
    expect(formatLatency(12_345)).toBe('12.3s');
    expect(formatLatency(undefined)).toBe('—');
  });

  it('draws a sparkline scaled to the samples, × for failures, only the last ones that fit', () => {
    expect(sparkline([0, 100, null, 50], 10)).toBe('▁█×▅');
    expect(sparkline([5, 5, 5], 10)).toBe('▁▁▁');
    expect(sparkline([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 3)).toHaveLength(3);
    expect(sparkline([null, null], 5)).toBe('××');
    expect(sparkline([1, 2], 0)).toBe('');
  });
});

describe('width-aware text', () => {
  it('truncates and pads Hangul by display width', () => {
    expect(stringWidth(truncate('서비스를 재시작할 수 없습니다', 10))).toBeLessThanOrEqual(10);
    expect(truncate('서비스를 재시작할 수 없습니다', 10).endsWith('…')).toBe(true);
    expect(stringWidth(fit('한글', 8))).toBe(8);
    expect(fit('abc', 5, 'right')).toBe('  abc');
    expect(truncate('short', 10)).toBe('short');
  });

  it('strips escape sequences and control characters from remote output', () => {
    expect(sanitizeLine('\u001b[31mred\u001b[0m\tx\r\u0007')).toBe('red    x');
    expect(sanitizeLine('\u001b]0;title\u0007after')).toBe('after');
  });
});

describe('layouts', () => {
  it('services columns fit 80 columns; the sparkline drops before the error column', () => {
    const sum = (c: ReturnType<typeof serviceColumns>) =>
      c.marker + c.name + 1 + c.state + 1 + c.http + 1 + c.latency + 1 + c.fails + (c.since ? 1 + c.since : 0) + (c.spark ? 1 + c.spark : 0) + (c.error ? 1 + c.error : 0);
    const wide = serviceColumns(140, ['doai-orchestrator'], { name: 7 });
    expect(wide.spark).toBeGreaterThan(8);
    expect(wide.error).toBeGreaterThan(20);
    const at80 = serviceColumns(80, ['doai-orchestrator'], { name: 7 });
    expect(sum(at80)).toBeLessThanOrEqual(80);
    expect(at80.spark).toBeGreaterThan(0);
    expect(at80.error).toBeGreaterThan(0);
    const at66 = serviceColumns(66, ['doai-orchestrator'], { name: 7 });
    expect(at66.spark).toBe(0);
    expect(at66.error).toBeGreaterThan(0);
    expect(sum(at66)).toBeLessThanOrEqual(66);
  });

  it('sorts worst first and windows around the selection', () => {
    const sorted = sortWorstFirst([
      service({ name: 'a' }),
      service({ name: 'b', state: 'DOWN' }),
      service({ name: 'c', state: 'UNKNOWN', lastProbeAt: null }),
      service({ name: 'd', state: 'SUSPECT', consecutiveFailures: 1 }),
      service({ name: 'e', state: 'SLOW' }),
    ]).map((s) => s.name);
    expect(sorted).toEqual(['b', 'd', 'e', 'c', 'a']);
    expect(windowStart(0, 100, 10)).toBe(0);
    expect(windowStart(50, 100, 10)).toBe(45);
    expect(windowStart(99, 100, 10)).toBe(90);
    expect(windowStart(3, 5, 10)).toBe(0);
    expect(T0).toBeInstanceOf(Date);
  });

  it('the run layout always leaves room for the log and never exceeds the height', () => {
    const run = { steps: Array.from({ length: 12 }, (_, i) => ({ id: `s${i}` })), dryRun: true, state: 'running' } as never;
    const l = runLayout(20, run);
    expect(l.titleLines + l.stepRows + l.bottomLines + 1 + l.logRows).toBeLessThanOrEqual(20);
    expect(l.logRows).toBeGreaterThanOrEqual(3);
    expect(l.stepRows).toBeGreaterThan(0);
  });
});
