// The approval plan and header in the operator's language (issue 12 item 16): step heads come
// from the run's own steps; the header names the runbook (a SQLite restore is no "SERVICE RESET").
import { describe, expect, it } from 'vitest';
import { approvalHeader, planInLang } from '../../src/core/plan-lang';

const steps = [
  { title: { en: 'Integrity check', ko: '무결성 검사' } },
  { title: { en: 'Keep the current file', ko: '현재 파일 보존' } },
];
const plan = ['1. Integrity check', '   app-box: sqlite3 /srv/app.db "PRAGMA integrity_check"', '2. Keep the current file (may fail)', '3. Not a step of this run'];

describe('planInLang', () => {
  it('puts each step head in Korean, keeps commands and what it cannot match', () => {
    expect(planInLang(plan, steps, 'ko')).toEqual([
      '1. 무결성 검사',
      '   app-box: sqlite3 /srv/app.db "PRAGMA integrity_check"',
      '2. 현재 파일 보존 (may fail)',
      '3. Not a step of this run',
    ]);
    expect(planInLang(plan, steps, 'en')).toEqual(plan);
  });
});

describe('approvalHeader', () => {
  const sqlite = { runbook: 'sqlite-restore', title: { en: 'SQLite restore', ko: 'SQLite 복구' } };
  it('names the runbook, in the language asked; the seed keeps its words for L2 and L3', () => {
    expect(approvalHeader(sqlite, 'code', 1, 'en')).toBe('SQLITE RESTORE CONFIRMATION');
    expect(approvalHeader(sqlite, 'code', 1, 'ko')).toBe('SQLite 복구 확인');
    expect(approvalHeader({ ...sqlite, target: 'app-db' }, 'code', 1, 'en')).toBe('SQLITE RESTORE CONFIRMATION — app-db');
    const l2 = { runbook: 'l2-service-reset', title: { en: 'Service Reset', ko: '서비스 리셋' } };
    expect(approvalHeader(l2, 'code', 1, 'en')).toBe('SERVICE RESET CONFIRMATION');
    expect(approvalHeader(l2, 'code', 1, 'ko')).toBe('서비스 리셋 확인');
    const l3 = { runbook: 'l3-box-reset', title: { en: 'Box Reset', ko: '박스 리셋' } };
    expect(approvalHeader(l3, 'two-step', 2, 'en')).toBe('BOX RESET — TWO-STEP VERIFICATION: STEP 2 / 2');
    expect(approvalHeader(l3, 'two-step', 1, 'ko')).toBe('박스 리셋 — 2단계 확인: 1 / 2 단계');
  });
});
