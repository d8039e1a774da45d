// The approval plan in the reader's language. The engine writes the plan once, in English
// (`3. Stop caddy`, then the commands), because it travels to other consoles and to `approve`;
// the run's own steps carry both titles, so each screen puts the step heads in its language.
import type { Lang, Localized } from './views';

/** `N. <English title>…` heads replaced by step N's title in `lang`; every other line as it is. */
export function planInLang(plan: readonly string[], steps: readonly { title: Localized }[], lang: Lang): string[] {
  if (lang === 'en') return [...plan];
  return plan.map((line) => {
    const m = /^(\d+)\. /.exec(line);
    if (!m) return line;
    const step = steps[Number(m[1]) - 1];
    const rest = line.slice(m[0].length);
    if (!step || !rest.startsWith(step.title.en)) return line;
    return `${m[0]}${step.title[lang]}${rest.slice(step.title.en.length)}`;
  });
}

/** The approval's header, named after the runbook (the seed's own words for L2 and L3); headless `run` leaves the target out. */
export function approvalHeader(
  run: { runbook: string; title: Localized; target?: string },
  mode: 'code' | 'two-step',
  step: number,
  lang: Lang,
): string {
  const on = run.target ? ` — ${run.target}` : '';
  if (mode === 'code') {
    if (run.runbook === 'l2-service-reset') return lang === 'ko' ? `서비스 리셋 확인${on}` : `SERVICE RESET CONFIRMATION${on}`;
    return lang === 'ko' ? `${run.title.ko} 확인${on}` : `${run.title.en.toUpperCase()} CONFIRMATION${on}`;
  }
  const name = run.runbook === 'l3-box-reset' ? (lang === 'ko' ? '박스 리셋' : 'BOX RESET') : lang === 'ko' ? run.title.ko : run.title.en.toUpperCase();
  return lang === 'ko' ? `${name} — 2단계 확인: ${step} / 2 단계${on}` : `${name} — TWO-STEP VERIFICATION: STEP ${step} / 2${on}`;
}
