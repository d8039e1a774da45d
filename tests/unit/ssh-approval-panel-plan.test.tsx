// The approval panel under an approver's SSH console (R-APR-8): a plan line wider than the
// terminal wraps under itself and is never cut at the edge, and `a` approves only when every row of
// the plan is on screen — before, each line was cut to the width and `a` counted lines, so a key
// approved a command whose end (a path, a redirect) the approver never saw.
import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { BatchedStore } from '../../src/core/store';
import type { PendingApprovalView } from '../../src/core/views';
import type { ApprovalBoard } from '../../src/operators/approval-board';
import { ApprovalPanelStore } from '../../src/server/ssh-approval-panel';
import { ApprovalPanel, panelHeight, panelPlanRows } from '../../screens/ssh/ssh-console';
import { displayWidth } from '../../screens/shared/text';

afterEach(() => cleanup());

const paths = Array.from({ length: 40 }, (_, i) => `/srv/data/part-${String(i).padStart(2, '0')}`);
const LONG = `ssh root@db-1: tar -czf /var/backups/all.tar.gz ${paths.join(' ')} > '/var/log/doai/tar.log'`;

const pending = (plan: string[]): PendingApprovalView => ({
  runId: 'run-7', runbook: 'l2-service-reset', title: 'L2 Service Reset', level: 'L2', target: 'db-1',
  requester: 'alice', step: 1, steps: 1, phase: 'code', requirement: 'proven', plan,
});

/** The board as the panel reads it: its pending list, observable (the real board's shape). */
class Pending extends BatchedStore<{ pending: PendingApprovalView[] }> {}

function panelFor(plan: string[], size: { rows: number; columns: number }) {
  const board = new Pending({ pending: [pending(plan)] });
  const approved: string[] = [];
  const panel = new ApprovalPanelStore(board as unknown as ApprovalBoard, { name: 'bob' } as never, () => size, async (shown) => {
    approved.push(shown.runId);
    return { ok: true, message: 'approved' };
  });
  return { panel, approved };
}

describe('SSH approval panel: the plan whole', () => {
  it('wraps a line wider than the terminal; no row is wider than the panel, every path is there', () => {
    const rows = panelPlanRows(['ssh root@db-1: systemctl stop app', LONG], 80);
    expect(rows.length).toBeGreaterThan(3);
    for (const r of rows) expect(displayWidth(r)).toBeLessThanOrEqual(76);
    const flat = rows.join(' ').replace(/\s+/g, '');
    expect(flat).toContain(LONG.replace(/\s+/g, ''));
  });

  it('draws every row of the long line on a tall enough terminal', () => {
    const state = { shown: pending([LONG]), more: 0, approver: 'bob' };
    const height = panelHeight(state, 60, 80);
    const { lastFrame } = render(<ApprovalPanel state={state} width={80} height={height} />);
    const flat = (lastFrame() ?? '').replace(/[│║\s]/g, '');
    for (const p of paths) expect(flat).toContain(p);
    expect(flat).toContain("'/var/log/doai/tar.log'");
  });

  it('a refuses while rows of the plan do not fit, and approves once the terminal shows them all', async () => {
    const small = panelFor([LONG], { rows: 14, columns: 80 });
    expect(small.panel.key(Buffer.from('a'))).toBe(true);
    await new Promise((r) => setTimeout(r, 10));
    expect(small.approved).toEqual([]);
    expect(small.panel.getSnapshot().message?.text).toMatch(/read the whole plan first: \d+ row\(s\) of it do not fit/);
    small.panel.stop();

    const tall = panelFor([LONG], { rows: 60, columns: 80 });
    tall.panel.key(Buffer.from('a'));
    await new Promise((r) => setTimeout(r, 10));
    expect(tall.approved).toEqual(['run-7']);
    tall.panel.stop();
  });
});
