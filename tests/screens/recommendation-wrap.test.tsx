// The recommendation box on 80 × 24: the reason is the why of the advice ("L1 Soft Reset failed on
// doai-orchestrator in this incident → L2"); it wraps onto a second line instead of being cut
// ("— L1 Soft Reset fail…"), the key stays first, and the frame still fits with the footer last.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import stringWidth from 'string-width';
import { boxText, delay, MemoryFleetStore, renderApp, service, waitForFrame } from './fixtures';

afterEach(() => cleanup());

const reason = { en: 'L1 Soft Reset failed on doai-orchestrator in this incident → L2', ko: '이번 장애에서 doai-orchestrator 의 L1 소프트 리셋이 실패 → L2' };

function fleet() {
  return new MemoryFleetStore([service({ name: 'doai-orchestrator', state: 'DOWN', consecutiveFailures: 3, lastError: 'connection refused' })], {
    recommendation: { level: 'L2', runbook: 'l2-service-reset', target: 'doai-orchestrator', reason },
    timeScale: 1,
  });
}


describe('recommendation box wraps its reason', () => {
  for (const lang of ['en', 'ko'] as const) {
    it(`80 × 24 (${lang}): key first, the whole reason, nothing wider than 80, footer last`, async () => {
      const { lastFrame } = renderApp({ fleet: fleet(), width: 80, height: 24, lang });
      await delay();
      const frame = await waitForFrame(lastFrame, (f) => f.includes('[r]'));
      const text = boxText(frame);
      expect(text).toMatch(/^\[r\] /);
      expect(text).toContain(reason[lang]);
      expect(text).not.toContain('…');
      const lines = frame.split('\n');
      for (const l of lines) expect(stringWidth(l)).toBeLessThanOrEqual(80);
      expect(lines.length).toBeLessThanOrEqual(23);
      expect(lines.at(-1)).toMatch(/help|도움말/);
      expect(frame).toContain('doai-orchestrator');
    });
  }
});
