// Every string the screens show, in English and Korean (R-UI-6). Both catalogs carry the same
// keys: the type below makes a missing Korean key a compile error, and a unit test checks it too.
// State names (UP, DOWN, ...) and runbook level names (L1, L2, L3) stay as they are in both.
import type { Lang, Localized } from '../core/views';

const en = {
  'app.name': 'doai-console',
  'header.operator': 'operator {name}',
  'header.demo': 'DEMO — waits compressed ×{scale}',
  'header.readOnly': 'READ-ONLY',

  'services.title': 'Services',
  'services.count': '{shown} of {total}',
  'services.none': 'No services in the config — add a services: entry to {config}',
  'services.waiting': 'waiting for the first probe',
  'col.service': 'SERVICE',
  'col.state': 'STATE',
  'col.http': 'HTTP',
  'col.latency': 'LATENCY',
  'col.trend': 'TREND',
  'col.fails': 'FAIL',
  'col.since': 'SINCE',
  'col.error': 'LAST ERROR',

  'rec.recommended': 'Recommended: {runbook} on {target} — {reason}',
  'rec.healthy': 'All services healthy',
  'rec.lastRun': 'Last run: {runbook} on {target} — {state}',

  'run.title': '{runbook} · {target} · {operator}',
  'run.dryRun': 'DRY RUN — nothing is executed',
  'run.starting': 'Starting the run…',
  'run.notFound': 'This run is no longer in the list — press Esc to go back',
  'run.steps': 'Steps',
  'run.log': 'Output',
  'run.logEmpty': 'no output yet',
  'run.logScrolled': '↑ {lines} lines up — PgDn for the latest',
  'run.success': 'SUCCESS',
  'run.failed': 'FAILED',
  'run.cancelled': 'CANCELLED',
  'run.interrupted': 'INTERRUPTED',
  'run.running': 'RUNNING',
  'run.escalateHint': 'escalate to {level} — press {key}',
  'run.manualInspection': 'manual inspection required',
  'run.confirmHint': 'press {key} to confirm',
  'run.approvalWaiting': 'waiting for approval (step {step})',
  'run.approvalCode': 'code {code}',
  'run.escalateOffer': '{from} failed → press {key} for {runbook} on {target}',

  'approval.l2.title': 'SERVICE RESET CONFIRMATION — {target}',
  'approval.l2.impact': 'Impact: all connected nodes paused',
  'approval.l2.recovery': 'Expected recovery: ~2 min',
  'approval.l3.title': 'BOX RESET - TWO-STEP VERIFICATION — {target}',
  'approval.l3.warning': 'Warning: this restarts the whole server; all connections drop and data loss is possible',
  'approval.plan': 'Will run, in order (host: command):',
  'approval.planMore': '… {n} more',
  'approval.code': 'Code {code} · valid {left} · {tries} tries — read it out to the approver',
  'approval.codeExpired': 'Code {code} has expired',
  'approval.codeVoid': 'The code is void — press {key} to issue a new one',
  'approval.field.code': '[CONFIRM] Code',
  'approval.field.approver': 'Approver',
  'approval.field.name': 'Name',
  'approval.field.code6': 'Code (6 characters)',
  'approval.field.time': 'Time',
  'approval.field.reason': 'Reason',
  'approval.field.yes': 'Execute? type yes',
  'approval.step1': 'STEP 1: first approver',
  'approval.step2': 'STEP 2: second approver (must differ from step 1)',
  'approval.approved': '✓ {name} · {time}',
  'approval.later': 'opens 30 s after step 1',
  'approval.wait': 'Step 2 opens in {s} s — the wait cannot be skipped',
  'approval.waitOpening': 'Step 2 is opening…',
  'approval.summary': 'Box Reset summary',
  'approval.summaryStep1': 'Step 1 approver: {name}',
  'approval.summaryStep2': 'Step 2 approver: {name}',
  'approval.summaryReason': 'Reason: {reason}',
  'approval.summaryHint': 'Check the summary, then press {key} to continue',
  'approval.yesHint': 'Type yes to execute; anything else cancels',
  'approval.keysHint': 'Tab/↑↓ move between fields · {submit} submit · {cancel} cancel',
  'approval.remote': 'or approve from another session: doai-console approve {id}',
  'approval.cancelConfirm': 'Cancel the approval of {runbook} on {target}? Nothing has run yet (y/n)',
  'approval.noEngine': 'This console cannot take approvals in the form — approve from another session: doai-console approve',
  'approval.sameApprover': 'STEP2_REJECTED - Same approver',
  'approval.readOnly': 'Waiting for approval in the console that started it (read-only here)',

  'start.failed': '{error} — {runbook} on {target} not started',
  'start.readOnly': 'This console is read-only — start runbooks from an operator console',

  'quit.confirm': 'A run is active — quit anyway? (y/n)',
  'cancel.confirm': 'Cancel {runbook} on {target}? This ends the remote command (y/n)',

  'fault.title': 'Inject a demo fault — number or ↑↓ and Enter',
  'fault.slow': 'slow: the orchestrator answers slowly (L1 fixes it)',
  'fault.crash': 'crash: the orchestrator stops answering (L1 fixes it)',
  'fault.crash-loop': 'crash-loop: restarts do not help (L1 fails, L2 fixes it)',
  'fault.box-down': 'box-down: the host is unreachable (L3 needed)',
  'fault.nodes-offline': 'nodes-offline: many nodes drop at once (L2)',
  'fault.error-spike': 'error-spike: device error rate above 10 %',
  'fault.clear': 'clear: remove every fault',
  'fault.injecting': 'Injecting fault {name}…',
  'fault.injected': 'Fault {name} injected',
  'fault.error': 'Could not inject fault {name}: {error}',

  'help.title': 'Keys',
  'help.screen.dashboard': 'Dashboard',
  'help.screen.run': 'Run',
  'help.screen.approval': 'Approval form',
  'help.screen.global': 'Everywhere',
  'help.dangerous': 'changes the fleet',

  'reason.readOnly': 'read-only console',
  'reason.noRecommendation': 'nothing to recommend — all services healthy',
  'reason.noService': 'no service selected',
  'reason.noRun': 'no run yet — start one first',
  'reason.runEnded': 'the run has already ended',
  'reason.noConfirm': 'nothing to confirm',
  'reason.noEscalation': 'escalation is offered only after a failed run',
  'reason.approvalWait': 'step 2 opens after the enforced 30 s wait — nothing skips it',
  'reason.codeVoid': 'the code is void — issue a new code first',

  'duration.ms': '{n}ms',

  'watch.title': 'WATCH — read-only wall screen',
  'watch.status.up': 'ALL UP',
  'watch.status.degraded': 'DEGRADED',
  'watch.status.down': 'DOWN',
  'watch.status.unknown': 'CHECKING',
  'watch.status.counts': '{up} of {total} services UP',
  'watch.live.none': 'No recovery in progress',
  'watch.live.title': '{level} in progress by {operator} since {since} — {runbook} on {target}',
  'watch.live.more': '+{n} more running — Tab shows the next',
  'watch.live.ended': '{runbook} on {target} — {state}',
  'watch.recent.title': 'Recent runs',
  'watch.recent.none': 'No runs recorded yet',
  'watch.nodes': 'Nodes {online}/{total} online ({pct} %) · {offline} offline',
  'watch.alerts': 'Alerts firing: {n}',
  'watch.alerts.none': 'No alerts firing',
  'help.screen.watch': 'Wall screen',
  'reason.observed': "another console's run — you can watch it, not control it",
  'observed.inProgress': '{level} in progress by {operator} since {since}',
  'interrupted.title': 'Interrupted runs (no end recorded, or stopped by a signal)',
  'interrupted.line': '{runbook} on {target} by {operator} at {at}, during {step}',
  'interrupted.hint': 'v view what happened · h verify health now · s start over · x dismiss',
  'interrupted.none': 'No interrupted runs',
} as const;

export type MessageKey = keyof typeof en;

const ko: Record<MessageKey, string> = {
  'app.name': 'doai-console',
  'header.operator': '운영자 {name}',
  'header.demo': 'DEMO — 대기 시간 ×{scale} 압축',
  'header.readOnly': '읽기 전용',

  'services.title': '서비스',
  'services.count': '{total}개 중 {shown}개',
  'services.none': '설정에 서비스가 없습니다 — {config}에 services: 항목을 추가하세요',
  'services.waiting': '첫 점검 대기 중',
  'col.service': '서비스',
  'col.state': '상태',
  'col.http': 'HTTP',
  'col.latency': '지연',
  'col.trend': '추이',
  'col.fails': '실패',
  'col.since': '경과',
  'col.error': '마지막 오류',

  'rec.recommended': '권장: {target}에 {runbook} — {reason}',
  'rec.healthy': '모든 서비스 정상',
  'rec.lastRun': '최근 실행: {target}에 {runbook} — {state}',

  'run.title': '{runbook} · {target} · {operator}',
  'run.dryRun': '모의 실행 — 아무것도 실행하지 않습니다',
  'run.starting': '실행을 시작하는 중…',
  'run.notFound': '이 실행은 목록에 없습니다 — Esc로 돌아가세요',
  'run.steps': '단계',
  'run.log': '출력',
  'run.logEmpty': '아직 출력 없음',
  'run.logScrolled': '↑ {lines}줄 위 — PgDn으로 최신 보기',
  'run.success': 'SUCCESS',
  'run.failed': 'FAILED',
  'run.cancelled': 'CANCELLED',
  'run.interrupted': 'INTERRUPTED',
  'run.running': 'RUNNING',
  'run.escalateHint': '{level}로 에스컬레이션 — {key} 키',
  'run.manualInspection': '수동 점검 필요',
  'run.confirmHint': '{key} 키로 확인',
  'run.approvalWaiting': '승인 대기 중 ({step}단계)',
  'run.approvalCode': '코드 {code}',
  'run.escalateOffer': '{from} 실패 → {key} 키로 {target}에 {runbook} 실행',

  'approval.l2.title': 'SERVICE RESET CONFIRMATION — {target}',
  'approval.l2.impact': '영향: 모든 연결된 노드 일시 중단',
  'approval.l2.recovery': '예상 복구 시간: ~2분',
  'approval.l3.title': 'BOX RESET - TWO-STEP VERIFICATION — {target}',
  'approval.l3.warning': '경고: 서버를 완전히 재시작합니다. 모든 연결이 끊기고 데이터 손실 가능성 있음',
  'approval.plan': '실행할 명령 (순서대로, 호스트: 명령):',
  'approval.planMore': '… {n}줄 더',
  'approval.code': '코드 {code} · 유효 {left} · 시도 {tries}회 — 승인자에게 불러 주세요',
  'approval.codeExpired': '코드 {code}의 유효시간이 지났습니다',
  'approval.codeVoid': '코드가 무효입니다 — {key} 키로 새 코드를 발급하세요',
  'approval.field.code': '[CONFIRM] 코드 입력',
  'approval.field.approver': '승인자',
  'approval.field.name': '이름',
  'approval.field.code6': '코드 (6자리)',
  'approval.field.time': '시간',
  'approval.field.reason': '사유',
  'approval.field.yes': '최종 실행? yes 입력',
  'approval.step1': 'STEP 1: 1차 승인자',
  'approval.step2': 'STEP 2: 2차 승인자 (1차와 다른 사람)',
  'approval.approved': '✓ {name} · {time}',
  'approval.later': '1차 승인 30초 후 열림',
  'approval.wait': '{s}초 후 2차 승인이 열립니다 — 대기는 건너뛸 수 없습니다',
  'approval.waitOpening': '2차 승인을 여는 중…',
  'approval.summary': 'Box Reset 요약',
  'approval.summaryStep1': '1차 승인: {name}',
  'approval.summaryStep2': '2차 승인: {name}',
  'approval.summaryReason': '사유: {reason}',
  'approval.summaryHint': '요약을 확인하고 {key} 키로 계속하세요',
  'approval.yesHint': '실행하려면 yes를 입력하세요. 그 외 입력은 취소됩니다',
  'approval.keysHint': 'Tab/↑↓ 입력칸 이동 · {submit} 제출 · {cancel} 취소',
  'approval.remote': '또는 다른 세션에서 승인: doai-console approve {id}',
  'approval.cancelConfirm': '{target}의 {runbook} 승인을 취소할까요? 아직 아무것도 실행되지 않았습니다 (y/n)',
  'approval.noEngine': '이 콘솔은 양식으로 승인을 받을 수 없습니다 — 다른 세션에서 승인하세요: doai-console approve',
  'approval.sameApprover': 'STEP2_REJECTED - Same approver',
  'approval.readOnly': '실행을 시작한 콘솔에서 승인 대기 중 (여기서는 읽기 전용)',

  'start.failed': '{error} — {target}의 {runbook} 시작 안 됨',
  'start.readOnly': '읽기 전용 콘솔입니다 — 운영 콘솔에서 런북을 시작하세요',

  'quit.confirm': '실행 중인 작업이 있습니다 — 그래도 종료할까요? (y/n)',
  'cancel.confirm': '{target}의 {runbook}을(를) 취소할까요? 원격 명령이 종료됩니다 (y/n)',

  'fault.title': '데모 장애 주입 — 번호 또는 ↑↓ 후 Enter',
  'fault.slow': 'slow: 오케스트레이터 응답 지연 (L1로 복구)',
  'fault.crash': 'crash: 오케스트레이터 무응답 (L1로 복구)',
  'fault.crash-loop': 'crash-loop: 재시작해도 실패 (L1 실패, L2로 복구)',
  'fault.box-down': 'box-down: 서버 접속 불가 (L3 필요)',
  'fault.nodes-offline': 'nodes-offline: 다수 노드 동시 오프라인 (L2)',
  'fault.error-spike': 'error-spike: 디바이스 오류율 10 % 초과',
  'fault.clear': 'clear: 모든 장애 제거',
  'fault.injecting': '장애 {name} 주입 중…',
  'fault.injected': '장애 {name} 주입됨',
  'fault.error': '장애 {name}을(를) 주입할 수 없습니다: {error}',

  'help.title': '키',
  'help.screen.dashboard': '대시보드',
  'help.screen.run': '실행',
  'help.screen.approval': '승인 양식',
  'help.screen.global': '모든 화면',
  'help.dangerous': '시스템 변경',

  'reason.readOnly': '읽기 전용 콘솔',
  'reason.noRecommendation': '권장 조치 없음 — 모든 서비스 정상',
  'reason.noService': '선택된 서비스 없음',
  'reason.noRun': '아직 실행이 없습니다 — 먼저 시작하세요',
  'reason.runEnded': '이미 끝난 실행입니다',
  'reason.noConfirm': '확인할 항목 없음',
  'reason.noEscalation': '에스컬레이션은 실패한 실행 뒤에만 가능합니다',
  'reason.approvalWait': '2차 승인은 필수 30초 대기 후에 열립니다 — 건너뛸 수 없습니다',
  'reason.codeVoid': '코드가 무효입니다 — 먼저 새 코드를 발급하세요',

  'duration.ms': '{n}ms',

  'watch.title': 'WATCH — 읽기 전용 상황판',
  'watch.status.up': '모두 정상',
  'watch.status.degraded': '성능 저하',
  'watch.status.down': '장애',
  'watch.status.unknown': '확인 중',
  'watch.status.counts': '서비스 {total}개 중 {up}개 정상',
  'watch.live.none': '진행 중인 복구 없음',
  'watch.live.title': '{operator} 님이 {since}부터 {level} 진행 중 — {target}에 {runbook}',
  'watch.live.more': '실행 {n}개 더 진행 중 — Tab으로 다음 보기',
  'watch.live.ended': '{target}에 {runbook} — {state}',
  'watch.recent.title': '최근 실행',
  'watch.recent.none': '기록된 실행 없음',
  'watch.nodes': '노드 {total}개 중 {online}개 온라인 ({pct} %) · 오프라인 {offline}개',
  'watch.alerts': '발생 중인 알림: {n}',
  'watch.alerts.none': '발생 중인 알림 없음',
  'help.screen.watch': '상황판',
  'reason.observed': '다른 콘솔의 실행입니다 — 보기만 할 수 있습니다',
  'observed.inProgress': '{operator} 님이 {since}부터 {level} 진행 중',
  'interrupted.title': '중단된 실행 (종료 기록 없음 또는 신호로 중단)',
  'interrupted.line': '{at} {operator} 님의 {target} {runbook}, {step} 단계 중',
  'interrupted.hint': 'v 경과 보기 · h 지금 상태 확인 · s 처음부터 · x 닫기',
  'interrupted.none': '중단된 실행 없음',
};

export const messages: Record<Lang, Record<MessageKey, string>> = { en, ko };

export type MessageVars = Record<string, string | number>;

function fill(template: string, vars?: MessageVars): string {
  if (!vars) return template;
  // Unknown placeholders stay visible so a missing variable is noticed, not silently blank.
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : whole,
  );
}

export function t(lang: Lang, key: MessageKey, vars?: MessageVars): string {
  return fill(messages[lang][key] ?? messages.en[key], vars);
}

/** Both languages of one message, e.g. for a command's disabled reason. */
export function localized(key: MessageKey, vars?: MessageVars): Localized {
  return { ko: t('ko', key, vars), en: t('en', key, vars) };
}

/** POSIX precedence: LC_ALL, then LC_MESSAGES, then LANG; `ko*` means Korean, anything else English. */
export function detectLang(env: Record<string, string | undefined>): Lang {
  for (const name of ['LC_ALL', 'LC_MESSAGES', 'LANG']) {
    const value = env[name];
    if (value) return value.toLowerCase().startsWith('ko') ? 'ko' : 'en';
  }
  return 'en';
}

export function isLang(value: unknown): value is Lang {
  return value === 'ko' || value === 'en';
}
