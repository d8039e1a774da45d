// The wall screen's header at 80 columns: the time is never what gets cut. It said "… · standalone
// · console.yaml · 06…" standalone and "… · attached to ssh (vic) · ssh-co…" over SSH, with no
// time at all; now the time comes right after the title and the config's name goes last.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import stringWidth from 'string-width';
import { WatchApp, type LiveRunsView } from '../../screens/watch/watch-app';
import { formatClock } from '../../screens/shared/format';
import { BatchedStore } from '../../src/core/store';
import type { Lang, ServerLinkView } from '../../src/core/views';
import type { LiveRunsSnapshot } from '../../src/watch/live-runs';
import { MemoryFleetStore, service, T0, waitForFrame } from './fixtures';

afterEach(() => cleanup());

function wall(lang: Lang, width: number, link?: ServerLinkView, timeScale = 1) {
  const fleet = new MemoryFleetStore([service({ name: 'caddy' })], { timeScale });
  const live: LiveRunsView = Object.assign(new BatchedStore<LiveRunsSnapshot>({ runs: [], outputVersion: 0, finished: [], owners: {}, polledAt: T0 }), { getOutput: () => [] });
  return render(
    <WatchApp fleet={fleet} live={live} frames={new BatchedStore<number>(0)} lang={lang} configPath="/home/ops/.config/doai-console/ssh-console.yaml" clock={{ now: () => T0 }} {...(link ? { link: new BatchedStore<ServerLinkView>(link) } : {})} width={width} height={24} onExit={() => {}} />,
  );
}

const time = formatClock(T0).slice(0, 5);

describe('wall screen header at 80 columns', () => {
  it('keeps the time, standalone and over SSH, in the demo, in English and Korean', async () => {
    for (const lang of ['en', 'ko'] as const) {
      for (const [link, scale] of [[undefined, 1], [{ state: 'attached', socket: 'ssh (vic)' } as ServerLinkView, 20]] as const) {
        const r = wall(lang, 80, link, scale);
        const f = await waitForFrame(r.lastFrame, (x) => x.includes('caddy'));
        const header = f.split('\n')[0]!;
        expect(stringWidth(header)).toBeLessThanOrEqual(80);
        expect(header).toContain(`· ${time}`);
        expect(header).toContain(link ? 'ssh (vic)' : lang === 'en' ? 'standalone' : '단독 실행');
        cleanup();
      }
    }
  });

  it('on a wide wall everything is there, the config\'s name last', async () => {
    const f = await waitForFrame(wall('en', 160, { state: 'attached', socket: 'ssh (vic)' }, 20).lastFrame, (x) => x.includes('caddy'));
    expect(f.split('\n')[0]).toMatch(new RegExp(`WATCH — read-only wall screen  · ${time} · attached to ssh \\(vic\\) · DEMO — waits compressed ×20 · ssh-console\\.yaml\\s*$`));
  });
});
