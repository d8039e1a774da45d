// The standalone wall screen reads the maintenance windows and silences in force from
// <stateDir>/mutes.json (R-MON-3), so it can say MAINTENANCE without building the alert engine:
// ended ones are left out, a broken file reads as none, and a window drops out when its time is up.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AlertsFileSource } from '../../src/watch/alerts-reader';

const dir = mkdtempSync(join(tmpdir(), 'doai-watch-mutes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('wall screen mutes', () => {
  it('lists what is in force from mutes.json, drops what has ended, and survives a broken file', async () => {
    const state = join(dir, 'state');
    mkdirSync(state);
    const now = Date.now();
    const iso = (ms: number) => new Date(now + ms).toISOString();
    writeFileSync(
      join(state, 'mutes.json'),
      JSON.stringify({
        version: 1,
        silences: [{ id: 's-aaaaaa', rule: 'orchestrator_down', reason: 'deploy', by: 'alice', createdAt: iso(-60_000), until: iso(-1) }],
        maintenance: [{ id: 'm-bbbbbb', service: 'api', reason: 'kernel upgrade', by: 'bob', from: iso(-60_000), until: iso(600) }],
      }),
    );
    const src = new AlertsFileSource({ file: join(state, 'alerts.jsonl'), stateDir: state });
    src.poll();
    expect(src.getSnapshot().mutes).toEqual([{ id: 'm-bbbbbb', what: 'maintenance', match: 'api', service: 'api', reason: 'kernel upgrade', by: 'bob', from: new Date(now - 60_000), until: new Date(now + 600) }]);
    await new Promise((r) => setTimeout(r, 700));
    src.poll();
    expect(src.getSnapshot().mutes).toBeUndefined();
    writeFileSync(join(state, 'mutes.json'), '{broken');
    src.poll();
    expect(src.getSnapshot().mutes).toBeUndefined();
  });
});
