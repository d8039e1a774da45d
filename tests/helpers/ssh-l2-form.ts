// The requester's proven L2 form in an SSH console (tests/helpers/ssh-rig-file.ts's terminals):
// select the orchestrator, press 2, say yes to a restart of a healthy service, wait for the form.
import { expect } from 'vitest';
import type { TmuxSession } from './tmux';

/** Opens the form in `t` (an operator's SSH console) and returns its screen with the request id. */
export async function openProvenL2Form(t: TmuxSession): Promise<{ form: string; id: string }> {
  await t.waitFor(/doai-orchestrator\s+UP/, 30_000);
  // L2 Service Reset fits the orchestrator: select it (the list is sorted, it is third).
  for (let i = 0; i < 3 && !/› doai-orchestrator/.test(t.screen()); i++) {
    t.send('Down');
    await new Promise((r) => setTimeout(r, 300));
  }
  await t.waitFor(/› doai-orchestrator/, 10_000);
  t.send('2');
  if (/restart anyway/.test(await t.waitFor(/restart anyway with L2 Service Reset\? \(y\/n\)|SERVICE RESET CONFIRMATION/, 30_000))) t.send('y');
  const form = await t.waitFor(/doai-console approve [0-9a-f]{8}/, 30_000);
  expect(form).toContain('Approval for L2: PROVEN only');
  return { form, id: /doai-console approve ([0-9a-f]{8})/.exec(form)![1]! };
}

/** Leaves the form: Esc, and yes to cancelling the run when asked. */
export async function leaveForm(t: TmuxSession): Promise<void> {
  t.send('Escape');
  if (/cancel/i.test(await t.waitFor(/\(y\/n\)|SERVICE RESET CONFIRMATION/, 10_000))) t.send('y');
}
