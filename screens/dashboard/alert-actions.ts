// The dashboard's alert keys (R-MON-3): `a` acknowledge, `s` silence / unsilence, `m` maintenance
// on / off. View logic only: what is selected, the prompt's text, the message; every change goes
// through the AlertControl (this console's stores, or the server's intents).
import type { AlertingCommandState } from '../../src/commands/registry';
import { settle } from '../../src/core/settle';
import type { AlertsSnapshot, AlertView, Lang, MuteView, ServiceHealth } from '../../src/core/views';
import { alertName } from '../../src/core/alert-name';
import { parseMinutesAndReason, type AlertControl, type ControlResult } from '../../src/core/alert-control';
import type { CommandHandlers } from '../shared/use-commands';
import type { BarMessage } from '../shared/message-bar';

export const MAINTENANCE_MINUTES = 30;
export const SILENCE_MINUTES = 60;

export interface AlertActionsInput {
  control?: AlertControl;
  alerts?: AlertsSnapshot;
  /** The alert under the cursor when the alerts pane has the focus. */
  alert?: AlertView;
  /** The selected service when the services pane has the focus. */
  service?: ServiceHealth;
  lang: Lang;
  now: Date;
  ask(label: string, submit: (value: string) => string | undefined): void;
  closeAsk(): void;
  confirm(question: string, onYes: () => void): void;
  message(m: BarMessage): void;
}

const hhmm = (d: Date) => `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;

function silenceOf(alerts: AlertsSnapshot | undefined, alert: AlertView | undefined): MuteView | undefined {
  if (!alert) return undefined;
  const id = alert.muted?.what === 'silence' ? alert.muted.id : undefined;
  return (alerts?.mutes ?? []).find((m) => m.what === 'silence' && (m.id === id || m.match === `rule=${alert.rule} subject=${alert.subject}`));
}

function maintenanceOf(alerts: AlertsSnapshot | undefined, service: ServiceHealth | undefined, now: Date): MuteView | undefined {
  if (!service) return undefined;
  return (alerts?.mutes ?? []).find((m) => m.what === 'maintenance' && m.service === service.name && m.from.getTime() <= now.getTime());
}

export function alertingState(input: Pick<AlertActionsInput, 'control' | 'alerts' | 'alert' | 'service' | 'now'>): AlertingCommandState | undefined {
  if (!input.control) return undefined;
  const a = input.alert;
  return {
    ...(a ? { alert: { firing: a.state === 'firing', acknowledged: a.acknowledged !== undefined, silenced: silenceOf(input.alerts, a) !== undefined } } : {}),
    ...(input.service ? { service: { maintenance: maintenanceOf(input.alerts, input.service, input.now) !== undefined } } : {}),
  };
}

export function alertActionHandlers(input: AlertActionsInput): CommandHandlers {
  const { control, lang } = input;
  const ko = lang === 'ko';
  const report = (answer: () => ReturnType<AlertControl['acknowledge']>, ok: (r: Extract<ControlResult, { ok: true }>) => string) =>
    settle<ControlResult>(
      answer,
      (r) => input.message(r.ok ? { tone: 'info', text: ok(r) } : { tone: 'error', text: ko ? `실패: ${r.error}` : `Not done: ${r.error}` }),
      (err) => ({ ok: false, error: err.message }),
    );
  return {
    'alert.ack': () => {
      const a = input.alert;
      if (!control || !a || a.state !== 'firing' || a.acknowledged) return;
      report(
        () => control.acknowledge(a.key),
        () => (ko ? `${alertName(a)} ${a.subject} 확인함 — 해소 외 추가 알림 없음` : `Acknowledged ${alertName(a)} on ${a.subject} — no more notifications for it but the resolve`),
      );
    },
    'alert.silence': () => {
      const a = input.alert;
      if (!control || !a) return;
      const existing = silenceOf(input.alerts, a);
      if (existing) {
        input.confirm(ko ? `무음 ${existing.id} (${existing.match}, ${hhmm(existing.until)}까지) 해제?` : `Remove silence ${existing.id} (${existing.match}, until ${hhmm(existing.until)})?`, () =>
          report(() => control.unsilence(existing.id), () => (ko ? `무음 ${existing.id} 해제됨` : `Silence ${existing.id} removed`)),
        );
        return;
      }
      const label = ko
        ? `${alertName(a)} ${a.subject} 무음 — 분과 사유 (예: "${SILENCE_MINUTES} api 배포 중"; 분을 빼면 ${SILENCE_MINUTES}분). Enter 적용, Esc 취소`
        : `Silence ${alertName(a)} on ${a.subject} — minutes and reason (e.g. "${SILENCE_MINUTES} deploying api"; no number: ${SILENCE_MINUTES} min). Enter applies, Esc cancels`;
      input.ask(label, (value) => {
        const { minutes, reason } = parseMinutesAndReason(value, SILENCE_MINUTES);
        if (!reason) return ko ? '사유가 필요합니다 (감사 로그와 타임라인에 기록)' : 'a reason is required (it goes to the audit log and the incident timeline)';
        input.closeAsk();
        report(
          () => control.silence({ rule: a.rule, subject: a.subject }, minutes, reason),
          (r) => (ko ? `무음 ${r.id ?? ''}: ${alertName(a)} ${a.subject}, ${r.until ? hhmm(r.until) : '?'}까지` : `Silenced ${alertName(a)} on ${a.subject} until ${r.until ? hhmm(r.until) : '?'} (${r.id ?? ''})`),
        );
        return undefined;
      });
    },
    'service.maintenance': () => {
      const s = input.service;
      if (!control || !s) return;
      const existing = maintenanceOf(input.alerts, s, input.now);
      if (existing) {
        input.confirm(ko ? `${s.name} 점검 (${hhmm(existing.until)}까지) 종료?` : `End maintenance on ${s.name} (until ${hhmm(existing.until)})?`, () =>
          report(() => control.endMaintenance(existing.id), () => (ko ? `${s.name} 점검 종료` : `Maintenance on ${s.name} ended`)),
        );
        return;
      }
      const label = ko
        ? `${s.name} 점검 ${MAINTENANCE_MINUTES}분 — 사유 (다른 시간이면 분을 앞에: "60 커널 업그레이드"). Enter 시작, Esc 취소`
        : `Maintenance on ${s.name} for ${MAINTENANCE_MINUTES} min — reason (other minutes first: "60 kernel upgrade"). Enter starts, Esc cancels`;
      input.ask(label, (value) => {
        const { minutes, reason } = parseMinutesAndReason(value, MAINTENANCE_MINUTES);
        if (!reason) return ko ? '사유가 필요합니다 (감사 로그와 타임라인에 기록)' : 'a reason is required (it goes to the audit log and the incident timeline)';
        input.closeAsk();
        report(
          () => control.startMaintenance(s.name, minutes, reason),
          (r) => (ko ? `${s.name} 점검 중, ${r.until ? hhmm(r.until) : '?'}까지 알림 무음` : `${s.name} in maintenance until ${r.until ? hhmm(r.until) : '?'}: its alerts are muted`),
        );
        return undefined;
      });
    },
  };
}
