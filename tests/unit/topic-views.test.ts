// A pending approval's one-time code is for the run's requester only, on every transport: the
// socket's snapshots (tests/integration/serve-intents.test.ts) and an SSH session's console,
// which reads the server's runs store through runsStoreFor.
import { describe, expect, it } from 'vitest';
import { BatchedStore } from '../../src/core/store';
import type { RunsSnapshot, RunsStore } from '../../src/core/views';
import { runsStoreFor } from '../../src/server/topic-views';

function store(snap: RunsSnapshot): RunsStore {
  const s = new BatchedStore<RunsSnapshot>(snap);
  return Object.assign(s, { getOutput: () => [] });
}

const pending = {
  runs: [
    {
      runId: 'r1',
      operator: 'alice',
      state: 'running',
      prompt: { kind: 'approval', step: 1, phase: 'code', mode: 'code', code: '8D37AE', message: { en: 'Read code 8D37AE to the approver', ko: '코드 8D37AE' } },
    },
  ],
  outputVersion: 0,
} as unknown as RunsSnapshot;

describe('runsStoreFor (an SSH session console)', () => {
  it('keeps the code for the requester and hides it, sentence included, from anyone else; stable per change', () => {
    const engine = store(pending);
    const mine = runsStoreFor(engine, 'alice').getSnapshot();
    expect(mine).toBe(pending);
    const bob = runsStoreFor(engine, 'bob');
    const theirs = bob.getSnapshot();
    expect(JSON.stringify(theirs)).not.toContain('8D37AE');
    expect(theirs.runs[0]!.prompt).toMatchObject({ kind: 'approval', phase: 'code', message: { en: expect.stringContaining('Approval requested by alice') } });
    expect(bob.getSnapshot()).toBe(theirs);
  });
});
