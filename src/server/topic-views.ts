// Per-connection views of a topic: what one console may see of a snapshot shared by all. The
// one-time approval code of a pending L2/L3 form is for the run's requester only (the proven
// user the run was started as); every other console — a viewer, another operator — gets the
// form without the code, so the wire never carries it to them.
import type { ProvenIdentity } from '../protocol/messages';
import type { ConsoleRunsSnapshot } from '../protocol/runs';
import type { RunsSnapshot, RunsStore } from '../core/views';


/** The console snapshot as `who` may see it (the same object when nothing is hidden from them). */
export function consoleViewFor<S extends RunsSnapshot = ConsoleRunsSnapshot>(snap: S, who: Pick<ProvenIdentity, 'user'> | undefined): S {
  const hides = snap.runs.some((r) => r.prompt?.kind === 'approval' && r.prompt.code !== undefined && r.operator !== who?.user);
  if (!hides) return snap;
  const runs = snap.runs.map((r) => {
    if (r.prompt?.kind !== 'approval' || r.prompt.code === undefined || r.operator === who?.user) return r;
    // The code is also in the form's sentence ("Read code … to the approver"): that goes too.
    const { code: _hidden, ...prompt } = r.prompt;
    const message = {
      en: `Approval requested by ${r.operator}: the code is shown only on the requester's console`,
      ko: `${r.operator}의 승인 요청: 코드는 요청자의 콘솔에만 표시됩니다`,
    };
    return { ...r, prompt: 'message' in prompt ? { ...prompt, message } : prompt };
  });
  return { ...snap, runs };
}

/** The runs store as `user` may see it (an SSH session's console inside the server): the same
 *  filtering as the socket's, with a stable snapshot per change for the screens. */
export function runsStoreFor(store: RunsStore, user: string): RunsStore {
  let from: RunsSnapshot | undefined;
  let view: RunsSnapshot | undefined;
  return {
    subscribe: (fn) => store.subscribe(fn),
    getOutput: (runId, max) => store.getOutput(runId, max),
    getSnapshot() {
      const snap = store.getSnapshot();
      if (snap !== from || !view) {
        from = snap;
        view = consoleViewFor(snap, { user });
      }
      return view;
    },
  };
}
