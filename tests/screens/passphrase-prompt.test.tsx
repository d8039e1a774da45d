// The interactive console asks an encrypted identity file's passphrase in a masked prompt (issue 12
// item 17): OpenSSH's wording, one • per character, the text never drawn, Enter hands it to the
// SSH client's asker, Esc declines; while it is open, typed keys never fire console commands.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import { PassphrasePrompts } from '../../src/core/passphrase-prompts';
import { delay, MemoryFleetStore, press, renderApp, service } from './fixtures';

afterEach(() => cleanup());

describe('passphrase prompt', () => {
  it('asks with OpenSSH wording, shows only •, hands the typed text to the asker on Enter', async () => {
    const prompts = new PassphrasePrompts();
    const s = renderApp({ fleet: new MemoryFleetStore([service({ name: 'caddy' })]), passphrase: prompts });
    await delay();
    const answer = prompts.ask({ host: 'vultr', path: '/home/ops/.ssh/id_ed25519', attempt: 1 });
    await delay();
    let f = s.lastFrame() ?? '';
    expect(f).toContain("Enter passphrase for key '/home/ops/.ssh/id_ed25519':");
    expect(f).toContain('logging in to vultr — Enter logs in · Esc skips');
    // '1' and 'q' are dashboard keys (L1, quit): here they are text.
    s.stdin.write('s3cr1t q');
    await delay();
    f = s.lastFrame() ?? '';
    expect(f).toContain('••••••••');
    expect(f).not.toContain('s3cr1t');
    expect(s.control.starts).toEqual([]);
    expect(s.exits).toEqual([]);
    await press(s.stdin, 'prompt.submit');
    expect(await answer).toBe('s3cr1t q');
    await delay();
    expect(s.lastFrame()).not.toContain('Enter passphrase');
  });

  it('a wrong passphrase asks again saying so; Esc declines (the key is not used)', async () => {
    const prompts = new PassphrasePrompts();
    const s = renderApp({ fleet: new MemoryFleetStore([service({ name: 'caddy' })]), passphrase: prompts });
    await delay();
    const second = prompts.ask({ host: 'vultr', path: '/k', attempt: 2 });
    await delay();
    expect(s.lastFrame()).toContain('Bad passphrase, try again.');
    s.stdin.write('x');
    await delay();
    await press(s.stdin, 'prompt.cancel');
    expect(await second).toBeUndefined();
    // The next question starts empty: nothing typed before is kept.
    const third = prompts.ask({ host: 'vultr', path: '/k', attempt: 3 });
    await delay();
    expect(s.lastFrame()).not.toContain('•');
    await press(s.stdin, 'prompt.submit');
    expect(await third).toBe('');
  });
});
