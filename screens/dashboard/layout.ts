// Column widths of the services pane for a terminal width (R-UI-5: usable at 80 columns).
// The sparkline goes first, then the error column; the state is always there as text.
import { displayWidth } from '../shared/text';

export interface ServiceColumns {
  marker: number;
  name: number;
  state: number;
  http: number;
  latency: number;
  fails: number;
  since: number;
  /** 0 when dropped. */
  spark: number;
  /** 0 when dropped. */
  error: number;
  /** Where each service runs; only on a wide pane (0 otherwise). */
  host: number;
}

export const STATE_WIDTH = 7; // "SUSPECT"
const MIN_SPARK = 8;
const MAX_SPARK = 30; // samples kept per service
const MIN_ERROR = 10;
/** The host column comes only when the trend and the error column keep this much beside it. */
const HOST_MIN_SPARK = 15;
const HOST_MIN_ERROR = 28;

export function serviceColumns(
  width: number,
  names: readonly string[],
  headerWidths: { name: number; fails?: number },
  /** Widest "failures/threshold" text, e.g. 3 for "3/3". */
  failsWidth = 3,
  /** The services' hosts and the HOST header's width: a wide pane shows where each one runs. */
  hosts?: { names: readonly string[]; header: number },
): ServiceColumns {
  const longest = Math.max(headerWidths.name, ...names.map(displayWidth));
  const cols: ServiceColumns = {
    marker: 2,
    name: Math.min(28, Math.max(8, longest)),
    state: STATE_WIDTH,
    http: 4,
    latency: 7,
    fails: Math.max(headerWidths.fails ?? 4, failsWidth),
    since: 6,
    spark: 0,
    error: 0,
    host: 0,
  };
  // Each column after the name has one space before it.
  const fixed = () => cols.marker + cols.name + (cols.host ? 1 + cols.host : 0) + 1 + cols.state + 1 + cols.http + 1 + cols.latency + 1 + cols.fails + 1 + cols.since;
  // A wide pane (a wall screen's column) also says where each service runs, when the trend and the
  // error keep a useful width beside it.
  if (hosts && hosts.names.length > 0) {
    const host = Math.min(20, Math.max(hosts.header, ...hosts.names.map(displayWidth)));
    if (width - fixed() - (1 + host) >= 2 + HOST_MIN_SPARK + HOST_MIN_ERROR) cols.host = host;
  }
  // Narrow terminals: shorten long names before losing the error column.
  if (width - fixed() < 1 + MIN_ERROR) cols.name = Math.max(8, cols.name - (1 + MIN_ERROR - (width - fixed())));
  let rest = width - fixed();
  if (rest >= 2 + MIN_SPARK + MIN_ERROR) {
    cols.spark = Math.min(MAX_SPARK, Math.max(MIN_SPARK, Math.floor((rest - 2) / 3)));
    rest -= 1 + cols.spark;
  }
  if (rest >= 1 + MIN_ERROR) cols.error = rest - 1;
  else if (rest < 0) {
    // Very narrow: the "since" column goes before anything the operator acts on.
    cols.since = 0;
  }
  return cols;
}
