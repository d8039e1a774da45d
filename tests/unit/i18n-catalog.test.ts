import { describe, expect, it } from 'vitest';
import { detectLang, localized, messages, t } from '../../src/i18n/catalog';

describe('message catalogs', () => {
  it('ko and en have exactly the same keys, none empty', () => {
    const en = Object.keys(messages.en).sort();
    const ko = Object.keys(messages.ko).sort();
    expect(ko).toEqual(en);
    for (const lang of ['en', 'ko'] as const) {
      for (const [key, value] of Object.entries(messages[lang])) expect(value.trim(), `${lang} ${key}`).not.toBe('');
    }
  });

  it('every placeholder of an English message is also in the Korean one', () => {
    const vars = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(messages.en) as (keyof typeof messages.en)[]) {
      expect(vars(messages.ko[key]), key).toEqual(vars(messages.en[key]));
    }
  });

  it('t fills variables and leaves unknown placeholders visible', () => {
    expect(t('en', 'header.demo', { scale: 10 })).toBe('DEMO — waits compressed ×10');
    expect(t('ko', 'header.operator', { name: 'orion' })).toBe('운영자 orion');
    expect(t('en', 'header.operator')).toBe('operator {name}');
  });

  it('localized gives both languages', () => {
    expect(localized('rec.healthy')).toEqual({ en: 'All services healthy', ko: '모든 서비스 정상' });
  });

  it('detectLang follows LC_ALL, then LC_MESSAGES, then LANG', () => {
    expect(detectLang({ LANG: 'ko_KR.UTF-8' })).toBe('ko');
    expect(detectLang({ LANG: 'en_US.UTF-8' })).toBe('en');
    expect(detectLang({ LC_ALL: 'en_US.UTF-8', LANG: 'ko_KR.UTF-8' })).toBe('en');
    expect(detectLang({ LC_MESSAGES: 'ko_KR.UTF-8', LANG: 'en_US.UTF-8' })).toBe('ko');
    expect(detectLang({ LC_ALL: '', LC_MESSAGES: 'ko', LANG: 'C' })).toBe('ko');
    expect(detectLang({ LANG: 'C' })).toBe('en');
    expect(detectLang({})).toBe('en');
  });
});
