import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { loadPrefs } from '../../src/config/prefs';
import { operatorName } from '../../src/config/operator';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'doai-prefs-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));

describe('prefs (R-CFG-5)', () => {
  it('persists across loads in an owner-only file', () => {
    const prefs = loadPrefs({ cwd: dir });
    expect(prefs.get()).toEqual({});
    prefs.set({ operator: 'orion', lang: 'ko', theme: 'dark', layout: 'stacked' });
    const again = loadPrefs({ cwd: dir });
    expect(again.get()).toEqual({ operator: 'orion', lang: 'ko', theme: 'dark', layout: 'stacked' });
    expect(again.path.startsWith(dir)).toBe(true);
    expect(statSync(again.path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(again.path, 'utf8')).lang).toBe('ko');
  });

  it('merges partial updates and removes a field set to undefined', () => {
    const prefs = loadPrefs({ cwd: dir });
    prefs.set({ operator: 'orion', lang: 'en' });
    prefs.set({ lang: 'ko' });
    expect(prefs.get()).toEqual({ operator: 'orion', lang: 'ko' });
    prefs.set({ operator: undefined });
    expect(loadPrefs({ cwd: dir }).get()).toEqual({ lang: 'ko' });
  });

  it('refuses invalid values and ignores hand-edited garbage', () => {
    const prefs = loadPrefs({ cwd: dir });
    expect(() => prefs.set({ lang: 'fr' as 'ko' })).toThrow(/invalid preference lang/);
    writeFileSync(prefs.path, JSON.stringify({ lang: 'klingon', theme: 'mono', operator: 42 }));
    expect(loadPrefs({ cwd: dir }).get()).toEqual({ theme: 'mono' });
  });
});

describe('operatorName', () => {
  it('prefers prefs, then DOAI_OPERATOR, then the OS user', () => {
    expect(operatorName({ operator: 'orion' }, { DOAI_OPERATOR: 'vega' })).toBe('orion');
    expect(operatorName({}, { DOAI_OPERATOR: 'vega' })).toBe('vega');
    expect(operatorName({ operator: '  ' }, { DOAI_OPERATOR: '' })).toBe(userInfo().username);
    expect(operatorName(undefined, {})).toBe(userInfo().username);
  });
});
