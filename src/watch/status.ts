// The wall screen's one-word verdict (R-UI-2): what someone across the room must see first.
import type { ServiceHealth } from '../core/views';

export type OverallStatus = 'UP' | 'DEGRADED' | 'DOWN' | 'UNKNOWN';

/** DOWN if any service is down, DEGRADED if any is slow, suspect or unknown, UP when all are. */
export function overallStatus(services: readonly ServiceHealth[]): { status: OverallStatus; up: number; total: number } {
  const total = services.length;
  const up = services.filter((s) => s.state === 'UP').length;
  if (total === 0 || services.every((s) => s.state === 'UNKNOWN')) return { status: 'UNKNOWN', up, total };
  if (services.some((s) => s.state === 'DOWN')) return { status: 'DOWN', up, total };
  if (up < total) return { status: 'DEGRADED', up, total };
  return { status: 'UP', up, total };
}
