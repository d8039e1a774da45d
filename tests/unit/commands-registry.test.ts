import { describe, expect, it } from 'vitest';
import {
  commands,
  commandsFor,
  fitFooter,
  footerItems,
  keysShown,
  footerItemText,
  keyLabel,
  keyName,
  matchCommand,
  registryFor,
  type CommandScreen,
  type CommandState,
} from '../../src/commands/registry';

const base: CommandState = { readOnly: false, demo: false, hasRecommendation: true, selectedService: 'api', hasRuns: true };

describe('command registry', () => {
  it('ids are unique and every command has keys and both languages', () => {
    const ids = commands.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of commands) {
      expect(c.keys.length, c.id).toBeGreaterThan(0);
      for (const lang of ['en', 'ko'] as const) {
        expect(c.description[lang], c.id).not.toBe('');
        expect(c.label[lang], c.id).not.toBe('');
      }
    }
  });

  it('no key is bound twice on the same screen (including the global keys it takes)', () => {
    // A screen's own key shadows a global one on purpose (q backs out): count the keys that act.
    const screens: CommandScreen[] = ['dashboard', 'run', 'help', 'confirm', 'fault-menu', 'incident', 'checklist', 'checklists', 'runbooks', 'runbook-form', 'approval'];
    for (const screen of screens) {
      const state = { ...base, demo: true };
      const keys = commandsFor(commands, screen, state).flatMap((c) => keysShown(commands, screen, c, state));
      expect(new Set(keys).size, `${screen}: ${keys.join(' ')}`).toBe(keys.length);
    }
  });

  it('declares the keys the brief names', () => {
    const keysOf = (id: string) => commands.find((c) => c.id === id)?.keys;
    expect(keysOf('help')).toEqual(['?']);
    expect(keysOf('quit')).toEqual(['q', 'ctrl+c']);
    expect(keysOf('select.up')).toEqual(['up', 'k']);
    expect(keysOf('select.down')).toEqual(['down', 'j']);
    expect(keysOf('runbook.recommended')).toEqual(['r']);
    expect(keysOf('runbook.l1')).toEqual(['1']);
    expect(keysOf('runbook.dryrun')).toEqual(['d']);
    expect(keysOf('run.open')).toEqual(['enter']);
    expect(keysOf('demo.fault')).toEqual(['f']);
    expect(keysOf('run.cancel')).toEqual(['c']);
    expect(keysOf('run.escalate')).toEqual(['e']);
    expect(keysOf('run.back')).toEqual(['esc', 'b', 'q']);
    expect(keysOf('log.up')).toEqual(['pgup']);
  });

  it('registryFor({readOnly: true}) drops every dangerous command and keeps the rest', () => {
    const ro = registryFor({ readOnly: true });
    expect(ro.some((c) => c.dangerous)).toBe(false);
    for (const id of ['runbook.recommended', 'runbook.l1', 'runbook.l2', 'runbook.l3', 'run.cancel', 'run.confirm', 'run.escalate', 'demo.fault']) {
      expect(ro.find((c) => c.id === id), id).toBeUndefined();
    }
    for (const id of ['help', 'quit', 'select.up', 'run.back', 'run.open']) expect(ro.find((c) => c.id === id), id).toBeDefined();
    expect(registryFor({ readOnly: false })).toHaveLength(commands.length);
  });

  it('keyName normalises ink key presses', () => {
    expect(keyName('', { upArrow: true })).toBe('up');
    expect(keyName('', { return: true })).toBe('enter');
    expect(keyName('', { escape: true })).toBe('esc');
    expect(keyName('', { pageUp: true })).toBe('pgup');
    expect(keyName('c', { ctrl: true })).toBe('ctrl+c');
    expect(keyName('Y', {})).toBe('y');
    expect(keyName('rm -rf', {})).toBeUndefined(); // pasted text is never a command
  });

  it('matchCommand finds the command for the screen, globals included, and not hidden ones', () => {
    expect(matchCommand(commands, 'dashboard', 'r', base)?.id).toBe('runbook.recommended');
    expect(matchCommand(commands, 'dashboard', 'enter', base)?.id).toBe('run.open');
    expect(matchCommand(commands, 'run', 'enter', base)?.id).toBe('run.confirm');
    expect(matchCommand(commands, 'run', 'ctrl+c', base)?.id).toBe('quit');
    // One rule on every screen: q backs out one level; only the dashboard's q quits.
    expect(matchCommand(commands, 'dashboard', 'q', base)?.id).toBe('quit');
    for (const [screen, back] of [['run', 'run.back'], ['incident', 'incident.back'], ['checklists', 'checklists.back'], ['checklist', 'checklist.back'], ['runbooks', 'runbooks.back'], ['runbook-form', 'runform.back'], ['approval', 'approval.cancel'], ['escalation', 'escalation.close'], ['help', 'help.close']] as const) {
      expect(matchCommand(commands, screen, 'q', base)?.id, screen).toBe(back);
      expect(matchCommand(commands, screen, 'esc', base)?.id, screen).toBe(back);
    }
    expect(matchCommand(commands, 'dashboard', 'f', base)).toBeUndefined();
    expect(matchCommand(commands, 'dashboard', 'f', { ...base, demo: true })?.id).toBe('demo.fault');
    // Overlays take only their own keys: q closes help instead of quitting.
    expect(matchCommand(commands, 'help', 'q', base)?.id).toBe('help.close');
    expect(matchCommand(commands, 'confirm', 'r', base)).toBeUndefined();
  });

  it('disabled reasons say why', () => {
    const reason = (id: string, s: CommandState) => commands.find((c) => c.id === id)?.disabledReason?.(s)?.en;
    expect(reason('runbook.recommended', { ...base, hasRecommendation: false })).toMatch(/all services healthy/);
    expect(reason('runbook.recommended', base)).toBeUndefined();
    expect(reason('runbook.l1', { ...base, selectedService: undefined })).toMatch(/no service selected/);
    expect(reason('run.open', { ...base, hasRuns: false })).toMatch(/no run yet/);
    expect(reason('run.escalate', { ...base, run: { state: 'failed' } })).toMatch(/only after a failed run/);
    expect(reason('run.escalate', { ...base, run: { state: 'failed', escalateTo: 'l2-service-reset' } })).toBeUndefined();
    expect(reason('run.cancel', { ...base, run: { state: 'success' } })).toMatch(/already ended/);
    expect(reason('run.confirm', { ...base, run: { state: 'running', promptKind: 'confirm' } })).toBeUndefined();
    expect(reason('runbook.dryrun', { ...base, readOnly: true })).toMatch(/read-only/);
  });

  it('footer items merge groups and shorten number ranges', () => {
    const dash = footerItems(commands, 'dashboard', base, 'en').map(footerItemText);
    expect(dash).toContain('↑↓ select');
    expect(dash).toContain('1-3 reset');
    expect(dash.slice(-2)).toEqual(['? help', 'q quit']);
    const run = footerItems(commands, 'run', base, 'en').map(footerItemText);
    expect(run).toContain('PgUp/PgDn scroll');
    // q backs out of the run screen, so the footer offers Ctrl-C to quit, not q.
    expect(run.slice(-2)).toEqual(['? help', 'Ctrl-C quit']);
    expect(footerItems(commands, 'fault-menu', base, 'en').map(footerItemText)).toContain('1-7 pick');
    expect(keyLabel('ctrl+c')).toBe('Ctrl-C');
  });

  it('fitFooter drops disabled entries first, then by rank, and keeps help and quit', () => {
    const measure = (s: string) => [...s].length;
    const items = footerItems(commands, 'run', { ...base, run: { state: 'running' } }, 'en');
    const full = fitFooter(items, 500, measure);
    expect(full.truncated).toBe(false);
    expect(full.items).toHaveLength(items.length);
    const narrow = fitFooter(items, 40, measure);
    expect(narrow.truncated).toBe(true);
    const texts = narrow.items.map(footerItemText);
    expect(texts).toContain('Ctrl-C quit');
    expect(texts).toContain('c cancel');
    expect(texts).not.toContain('Enter confirm'); // disabled: no prompt
    const width = texts.join(' · ').length + ' · …'.length;
    expect(width).toBeLessThanOrEqual(40);
  });
});
