// Where the dashboard's panes go for a terminal size (R-HLT-8, R-UI-5): stacked on an 80 × 24
// (the focused pane gets the room, the others shrink to a one-line summary), side by side in
// two columns on a wall screen. Pure, so every size is tested without rendering.

export type PaneId = 'services' | 'alerts' | 'nodes' | 'hosts';

/** Stacking and Tab order: what an operator acts on first comes first. */
export const PANE_ORDER: readonly PaneId[] = ['services', 'alerts', 'nodes', 'hosts'];

export interface PaneBox {
  id: PaneId;
  /** Rows of the pane including its title line; 1 = collapsed to the summary line. */
  height: number;
  width: number;
  column: 0 | 1;
}

export interface FleetLayout {
  columns: 1 | 2;
  /** Width of each column. */
  columnWidths: number[];
  panes: PaneBox[];
}

/** Two columns need room for a services table on the left and the node list on the right. */
export const WIDE_MIN_WIDTH = 160;
export const WIDE_MIN_HEIGHT = 30;
/** Below this many rows per pane, the panes that are not focused collapse to their summary. */
const MIN_SHARED_ROWS = 4;

/**
 * Splits `height` rows among panes stacked in one column. `wanted` is each pane's natural
 * height (title + column header + items). Every pane keeps at least its title line.
 */
export function stackPanes(
  ids: readonly PaneId[],
  height: number,
  focus: PaneId,
  wanted: Partial<Record<PaneId, number>>,
): Map<PaneId, number> {
  const out = new Map<PaneId, number>(ids.map((id) => [id, 1]));
  if (ids.length === 0) return out;
  let rest = Math.max(0, height - ids.length);
  const want = (id: PaneId) => Math.max(0, (wanted[id] ?? 1) - 1);
  const focused = ids.includes(focus) ? focus : ids[0]!;
  const others = ids.filter((id) => id !== focused);
  // Rows nobody can use go to the last pane: the panes stay together at the top and the blank is
  // below them, never between services and alerts (a focused pane that needs 3 rows given 5 left
  // a gap under it that moved with Tab, on 80 × 24 as on a wall screen's column).
  const spareTo = ids[ids.length - 1]!;
  const total = ids.reduce((n, id) => n + want(id), 0);
  if (total <= rest) {
    // Everything fits: each pane its natural size, the spare rows below the last one.
    for (const id of ids) out.set(id, 1 + want(id));
    out.set(spareTo, out.get(spareTo)! + (rest - total));
    return out;
  }
  if (others.length > 0 && rest / ids.length >= MIN_SHARED_ROWS) {
    // Room to share: the others get a fair slice (at most what they need), the focused one the rest.
    const slice = Math.floor(rest / (ids.length + 1));
    for (const id of others) {
      const give = Math.min(want(id), slice);
      out.set(id, 1 + give);
      rest -= give;
    }
  }
  // The focused pane takes what it can use; rows it cannot use go to the others, in order.
  const focusGets = Math.min(rest, want(focused));
  out.set(focused, 1 + focusGets);
  rest -= focusGets;
  for (const id of others) {
    if (rest <= 0) break;
    const more = Math.min(rest, want(id) - (out.get(id)! - 1));
    out.set(id, out.get(id)! + more);
    rest -= more;
  }
  if (rest > 0) out.set(spareTo, out.get(spareTo)! + rest);
  return out;
}

export function fleetLayout(width: number, height: number, present: readonly PaneId[], focus: PaneId, wanted: Partial<Record<PaneId, number>>): FleetLayout {
  const ids = PANE_ORDER.filter((id) => present.includes(id));
  if (width >= WIDE_MIN_WIDTH && height >= WIDE_MIN_HEIGHT && ids.length > 1) {
    const left = ids.filter((id) => id === 'services' || id === 'alerts');
    const right = ids.filter((id) => id === 'nodes' || id === 'hosts');
    const cols = left.length && right.length ? [left, right] : [ids.slice(0, Math.ceil(ids.length / 2)), ids.slice(Math.ceil(ids.length / 2))];
    const leftWidth = Math.floor((width - 1) * 0.55);
    const widths = [leftWidth, width - 1 - leftWidth];
    const panes: PaneBox[] = [];
    cols.forEach((col, c) => {
      // A column without the focus still shares fairly: its first pane plays the focused one.
      const split = stackPanes(col, height, col.includes(focus) ? focus : col[0]!, wanted);
      for (const id of col) panes.push({ id, height: split.get(id)!, width: widths[c]!, column: c as 0 | 1 });
    });
    return { columns: 2, columnWidths: widths, panes };
  }
  const split = stackPanes(ids, height, focus, wanted);
  return { columns: 1, columnWidths: [width], panes: ids.map((id) => ({ id, height: split.get(id)!, width, column: 0 })) };
}

/** A proportion as a bar of `width` cells: "█████░░░░░". */
export function ratioBar(ratio: number, width: number): string {
  if (width <= 0) return '';
  const r = Number.isFinite(ratio) ? Math.max(0, Math.min(1, ratio)) : 0;
  const full = Math.round(r * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

/** "12%" or "12.5%" under 10 %. */
export function percentText(ratio: number): string {
  const p = ratio * 100;
  return p > 0 && p < 10 && !Number.isInteger(p) ? `${p.toFixed(1)}%` : `${Math.round(p)}%`;
}
