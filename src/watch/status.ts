// The wall screen's one-word verdict (R-UI-2): what someone across the room must see first.
// UNKNOWN is not a fact: a service whose first probe has not answered is neither UP nor a fault,
// so a fresh wall screen says CHECKING, never ALL UP (and never DEGRADED either).
import type { ServiceHealth } from '../core/views';
import { probeCoverage, type ProbeCoverage } from '../health/recommend';

/** NONE: nothing to judge (no services, or none with a health_url). */
export type OverallStatus = 'UP' | 'DEGRADED' | 'DOWN' | 'UNKNOWN' | 'NONE';

export interface Overall extends ProbeCoverage {
  status: OverallStatus;
}

/**
 * DOWN if any service is down, DEGRADED if any is slow or suspect, UNKNOWN (checking) while any
 * monitored service has not answered yet, UP when every monitored one is up. Services without a
 * health_url are never probed: counted apart, they do not hold the verdict at "checking" forever.
 */
export function overallStatus(services: readonly ServiceHealth[]): Overall {
  const c = probeCoverage(services);
  const result = (status: OverallStatus): Overall => ({ status, ...c });
  if (services.some((s) => s.state === 'DOWN')) return result('DOWN');
  if (services.some((s) => s.state === 'SLOW' || s.state === 'SUSPECT')) return result('DEGRADED');
  if (c.pending > 0) return result('UNKNOWN');
  if (c.probed === 0) return result('NONE');
  return result('UP');
}
