// Adapts the approval flow to the engine's vocabulary: effects become RunEvents (without runId and
// time, which the engine fills in) and the snapshot becomes the run view's approval prompt. The
// engine's approval hook forwards these, so the screens and the journal see the same facts.
import type { Localized, RunPrompt } from '../core/views';
import type { ApprovalEffect, ApprovalSnapshot } from './policy';

export type ApprovalRunEvent =
  | { type: 'approval.requested'; step: 1 | 2 }
  | { type: 'approval.granted'; step: 1 | 2; approver: string; how: 'auto' | 'code' | 'session' }
  | { type: 'approval.rejected'; step: 1 | 2; approver?: string; reason: string }
  | { type: 'audit'; message: string };

/** The RunEvent for an effect; `done` has none (the hook's return value says how it ended). */
export function effectToRunEvent(effect: ApprovalEffect): ApprovalRunEvent | undefined {
  if ('audit' in effect) return { type: 'audit', message: effect.audit };
  switch (effect.event) {
    case 'requested':
      return { type: 'approval.requested', step: effect.step };
    case 'granted':
      return { type: 'approval.granted', step: effect.step, approver: effect.approver, how: effect.how };
    case 'rejected':
      return {
        type: 'approval.rejected',
        step: effect.step,
        ...(effect.approver !== undefined ? { approver: effect.approver } : {}),
        reason: effect.reason,
      };
    case 'done':
      return undefined;
  }
}

function hint(snap: ApprovalSnapshot): Localized | undefined {
  switch (snap.phase) {
    case 'code':
    case 'step1':
    case 'step2':
      if (snap.requirement === 'proven') {
        return {
          en: 'Proven approval required: another person runs `doai-console approve <id>` as their own OS user (a name typed here would only be declared)',
          ko: '증명된 승인 필요: 다른 사람이 자신의 OS 계정으로 `doai-console approve <id>`를 실행해야 합니다 (여기에 입력한 이름은 선언일 뿐입니다)',
        };
      }
      return snap.code
        ? {
            en: `Read code ${snap.code} to the approver; they type their name and the code`,
            ko: `승인자에게 코드 ${snap.code}를 알려 주세요. 승인자가 이름과 코드를 입력합니다`,
          }
        : { en: 'The code is void — issue a new code', ko: '코드가 무효입니다 — 새 코드를 발급하세요' };
    case 'waiting':
      return {
        en: `Step 2 opens in ${snap.waitRemainingS ?? 0} s (enforced wait)`,
        ko: `${snap.waitRemainingS ?? 0}초 후 2차 승인이 열립니다 (필수 대기)`,
      };
    case 'reason':
      return { en: 'Type the reason for this recovery', ko: '복구 사유를 입력하세요' };
    case 'summary':
      return { en: 'Check the summary', ko: '요약을 확인하세요' };
    case 'confirm-yes':
      return { en: 'Type yes to execute; anything else cancels', ko: '실행하려면 yes를 입력하세요. 그 외 입력은 취소됩니다' };
    default:
      return undefined;
  }
}

/** The run view's approval prompt for the flow's state; null once the flow is over. */
export function approvalPrompt(snap: ApprovalSnapshot): RunPrompt | null {
  if (snap.done || snap.mode === 'auto') return null;
  const message = snap.error ?? hint(snap);
  return {
    kind: 'approval',
    step: snap.step ?? 1,
    ...(snap.code ? { code: snap.code } : {}),
    ...(snap.code && snap.expiresAt ? { expiresAt: snap.expiresAt } : {}),
    ...(snap.triesLeft !== undefined && snap.code ? { triesLeft: snap.triesLeft } : {}),
    ...(snap.phase === 'waiting' && snap.waitUntil ? { waitUntil: snap.waitUntil } : {}),
    ...(message ? { message } : {}),
  };
}
