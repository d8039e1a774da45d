// The in-process port (src/server/local-port.ts) filters the `console` topic per identity as the
// socket does per connection (src/server/topic-views.ts): a pending approval's one-time code is
// for the run's requester only. A standalone console (its own uid) and an attached one see the
// same thing for the same snapshot.
import { describe, expect, it } from 'vitest';
import { BatchedStore } from '../../src/core/store';
import type { ConsoleRunsSnapshot } from '../../src/protocol/runs';
import type { RunView } from '../../src/core/views';
import { inProcessPort } from '../../src/server/local-port';
import { consoleViewFor } from '../../src/server/topic-views';

class Topic extends BatchedStore<ConsoleRunsSnapshot> {
  put(s: ConsoleRunsSnapshot): void {
    this.set(s);
  }
}

function snapshotWithForm(operator: string): ConsoleRunsSnapshot {
  const run = {
    runId: 'r1',
    runbook: 'l2-service-reset',
    title: 'L2 Service Reset',
    level: 'L2',
    target: 'doai-orchestrator',
    operator,
    state: 'running',
    startedAt: new Date(0),
    steps: [],
    prompt: {
      kind: 'approval',
      step: 1,
      phase: 'code',
      mode: 'code',
      code: '482913',
      message: { en: 'Read code 482913 to the approver', ko: '승인자에게 코드 482913 를 읽어 주세요' },
    },
  } as unknown as RunView;
  return { runs: [run], outputVersion: 1, output: { r1: { from: 0, lines: [], reset: true } } };
}

const noDispatch = () => Promise.reject(new Error('no intents here'));

describe('inProcessPort with an identity', () => {
  it("shows the code to the run's requester only, as the socket's per-connection view does", async () => {
    const topic = new Topic(snapshotWithForm('orion'));
    const mine = inProcessPort({ console: topic }, noDispatch, { user: 'orion' });
    const theirs = inProcessPort({ console: topic }, noDispatch, { user: 'vega' });

    const seenByRequester = (await mine.first('console')).runs[0]!.prompt as { code?: string };
    expect(seenByRequester.code).toBe('482913');

    const seenByOther = await theirs.first('console');
    const prompt = seenByOther.runs[0]!.prompt as { code?: string; message?: { en: string } };
    expect(prompt.code).toBeUndefined();
    expect(JSON.stringify(seenByOther)).not.toContain('482913');
    expect(prompt.message?.en).toBe("Approval requested by orion: the code is shown only on the requester's console");
    // Exactly what the socket would send that connection.
    expect(seenByOther).toEqual(consoleViewFor(topic.getSnapshot(), { user: 'vega' }));
  });

  it('keeps one view object per snapshot (screens compare by identity) and follows changes', () => {
    const topic = new Topic(snapshotWithForm('orion'));
    const store = inProcessPort({ console: topic }, noDispatch, { user: 'vega' }).store('console');
    const a = store.getSnapshot();
    expect(store.getSnapshot()).toBe(a);
    topic.put({ runs: [], outputVersion: 2, output: {} });
    const b = store.getSnapshot();
    expect(b).not.toBe(a);
    expect(b?.runs).toEqual([]);
  });

  it('without an identity the topic is the store itself (an SSH session filters its own)', () => {
    const topic = new Topic(snapshotWithForm('orion'));
    expect(inProcessPort({ console: topic }, noDispatch).store('console')).toBe(topic);
  });
});
