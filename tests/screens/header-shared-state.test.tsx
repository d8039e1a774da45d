// The console header under a shared state backend (issue 15): who leads, and `state store
// unreachable` when the database is away (kept even on a narrow terminal).
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { Header } from '../../screens/shared/header';
import type { ServerLinkView } from '../../src/core/views';

const at = new Date('2026-01-04T06:30:00Z');

function frame(link: ServerLinkView, width = 160, lang: 'en' | 'ko' = 'en'): string {
  const r = render(<Header lang={lang} operator="orion" configPath="/etc/doai-console/console.yaml" now={at} timeScale={1} readOnly={false} link={link} width={width} />);
  const out = r.lastFrame() ?? '';
  r.unmount();
  return out;
}

describe('header: shared state', () => {
  const socket = '/run/doai-console/console.sock';
  it('says which server leads: this one, another box, or none yet', () => {
    expect(frame({ state: 'attached', socket, sharedState: { reachable: true, leading: true, leader: 'jb-a (pid 10)' } })).toContain(`attached to ${socket} · leader: this server`);
    expect(frame({ state: 'attached', socket, sharedState: { reachable: true, leading: false, leader: 'jb-b (pid 22)' } })).toContain('leader: jb-b (pid 22)');
    expect(frame({ state: 'attached', socket, sharedState: { reachable: true, leading: false } })).toContain('no leader yet');
    expect(frame({ state: 'attached', socket, sharedState: { reachable: true, leading: true } }, 160, 'ko')).toContain('리더: 이 콘솔 서버');
  });

  it('says state store unreachable, and keeps saying it when the line is too narrow for the rest', () => {
    expect(frame({ state: 'attached', socket, sharedState: { reachable: false, leading: false } })).toContain('state store unreachable');
    const narrow = frame({ state: 'attached', socket, sharedState: { reachable: false, leading: false } }, 50);
    expect(narrow).toContain('state store unreachable');
    expect(narrow).not.toContain('console.yaml');
  });

  it('files backend (no shared state): nothing about leaders', () => {
    expect(frame({ state: 'attached', socket })).not.toMatch(/leader|state store/);
  });
});
