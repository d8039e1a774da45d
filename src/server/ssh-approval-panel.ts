// What an approver's SSH session shows of the server's open approvals, and what its keys do
// there: `a` approves the shown step with the session's key (the server's approvals.approve intent,
// through its dispatcher, as `doai-console approve` on the socket), Esc hides it (keys go back to
// the console). Approvals the session's own operator asked for are not offered (they are theirs to
// wait for); the board refuses self-approval by identity anyway.
import { BatchedStore } from '../core/store';
import type { ApprovalBoard, PendingApproval } from '../operators/approval-board';
import type { Principal } from '../operators/directory';
import { panelPlanUnseen, type ApprovalPanelState } from '../../screens/ssh/ssh-console';

const MESSAGE_MS = 15_000;

export class ApprovalPanelStore extends BatchedStore<ApprovalPanelState> {
  private readonly hidden = new Set<string>();
  private readonly unsubscribe: () => void;
  private message?: { text: string; ok: boolean };
  private messageTimer?: NodeJS.Timeout;

  constructor(
    private readonly board: ApprovalBoard,
    private readonly who: Principal,
    /** The session's terminal size: the whole plan must be on screen, every line whole, before `a` counts (R-APR-8). */
    private readonly size: () => { rows: number; columns: number },
    /** Approves the shown step as the session's key (ssh-session.ts: the dispatcher); a refusal may reject. */
    private readonly approve: (shown: PendingApproval) => Promise<{ ok: boolean; message: string }>,
  ) {
    super({ more: 0, approver: who.name });
    this.unsubscribe = board.subscribe(() => this.recompute());
    this.recompute();
  }

  private offered(): PendingApproval[] {
    const me = this.who.name.toLowerCase();
    return this.board.getSnapshot().pending.filter((p) => p.requester.toLowerCase() !== me && !this.hidden.has(`${p.runId}:${p.step}`));
  }

  private recompute(): void {
    const list = this.offered();
    this.set({ ...(list[0] ? { shown: list[0] } : {}), more: Math.max(0, list.length - 1), ...(this.message ? { message: this.message } : {}), approver: this.who.name });
  }

  private say(text: string, ok: boolean): void {
    this.message = { text, ok };
    clearTimeout(this.messageTimer);
    this.messageTimer = setTimeout(() => {
      this.message = undefined;
      this.recompute();
    }, MESSAGE_MS);
    this.messageTimer.unref();
    this.recompute();
  }

  /** A key from the session: true when the panel took it (it shows an approval). */
  key(data: Buffer): boolean {
    const shown = this.getSnapshot().shown;
    if (!shown) return false;
    const text = data.toString('utf8');
    if (text === 'a' || text === 'A') {
      if (shown.phase === 'waiting') {
        this.say(`step 2 is not open yet: ${shown.waitRemainingS ?? '…'} s of the enforced wait left`, false);
        return true;
      }
      const { rows, columns } = this.size();
      const unseen = panelPlanUnseen(this.getSnapshot(), rows, columns);
      if (unseen > 0) {
        this.say(`read the whole plan first: ${unseen} row(s) of it do not fit — make the terminal taller`, false);
        return true;
      }
      const key = `${shown.runId}:${shown.step}`;
      this.approve(shown).then(
        (answer) => {
          this.say(answer.ok ? `✓ ${answer.message} (${shown.title} on ${shown.target})` : answer.message, answer.ok);
          if (!answer.ok) this.hidden.add(key);
          this.recompute();
        },
        (err: unknown) => {
          this.hidden.add(key);
          this.say(err instanceof Error ? err.message : String(err), false);
        },
      );
      return true;
    }
    if (text === '\x1b') {
      this.hidden.add(`${shown.runId}:${shown.step}`);
      this.recompute();
      return true;
    }
    // Every other key waits until the approval is answered or hidden.
    return true;
  }

  stop(): void {
    this.unsubscribe();
    clearTimeout(this.messageTimer);
  }
}
