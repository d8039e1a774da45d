// R-HLT-6: the recommended runbook for the current symptoms, one key away; and the latest run.
import { Box, Text } from 'ink';
import type { Lang, Recommendation, RunView, ServiceHealth } from '../../src/core/views';
import { fleetVerdict, type FleetVerdict } from '../../src/health/recommend';
import { t } from '../../src/i18n/catalog';
import { truncate, wrapLines } from '../shared/text';

export interface RecommendationBoxProps {
  recommendation?: Recommendation;
  /** The fleet the recommendation was made from: without facts the box says so, never "healthy". */
  services: readonly ServiceHealth[];
  configPath: string;
  runbookTitle(id: string): string;
  /** Key that starts it; absent in a read-only console. */
  startKey?: string;
  latestRun?: RunView;
  openKey?: string;
  runStateLabel(run: RunView): string;
  lang: Lang;
  width: number;
}

/** Lines inside the border: the recommendation (`headLines`, 1 or 2), and the latest run when there is one. */
export function recommendationLines(latestRun: RunView | undefined, headLines = 1): number {
  return headLines + (latestRun ? 1 : 0);
}

/**
 * The box's first line(s): the key, then what the facts say. On 80 columns a recommendation's
 * reason ("L1 Soft Reset failed on doai-orchestrator in this incident → L2") is the why of the
 * advice: it wraps onto a second line rather than being cut.
 */
export function headlineLines(p: Pick<RecommendationBoxProps, 'recommendation' | 'services' | 'configPath' | 'runbookTitle' | 'startKey' | 'lang' | 'width'>): string[] {
  const inner = Math.max(0, p.width - 4);
  const verdict = fleetVerdict(p.services, p.recommendation);
  // The key goes first so a narrow terminal cuts the reason, never the key.
  const text = (p.recommendation && p.startKey ? `[${p.startKey}] ` : '') + verdictText(verdict, p.lang, p.runbookTitle, p.configPath);
  if (inner < 10) return [truncate(text, inner)];
  const lines = wrapLines(text, inner, 2);
  return lines.length ? lines : [''];
}

const VERDICT_COLOR: Record<FleetVerdict['kind'], string> = {
  recommend: 'yellow',
  // Neutral while facts are missing: neither the green of "healthy" nor an alarm.
  waiting: 'gray',
  healthy: 'green',
  notUp: 'yellow',
  suspect: 'yellow',
  unmonitored: 'gray',
  empty: 'gray',
};

/** The box's first line, without the key: what the facts say, or that there are none yet. */
export function verdictText(verdict: FleetVerdict, lang: Lang, runbookTitle: (id: string) => string, configPath: string): string {
  const c = verdict.coverage;
  switch (verdict.kind) {
    case 'recommend': {
      const r = verdict.recommendation;
      const text = t(lang, 'rec.recommended', { runbook: runbookTitle(r.runbook), target: r.target, reason: r.reason[lang] });
      return c.pending ? `${text} · ${t(lang, 'rec.pendingNote', { pending: c.pending, total: c.total - c.unmonitored })}` : text;
    }
    case 'waiting':
      return c.probed === 0
        ? t(lang, 'rec.waitingAll')
        : t(lang, 'rec.waitingSome', { pending: c.pending, total: c.total - c.unmonitored });
    case 'healthy':
      return c.unmonitored ? t(lang, 'rec.healthyProbed', { probed: c.probed, unmonitored: c.unmonitored }) : t(lang, 'rec.healthy');
    case 'notUp':
      return t(lang, 'rec.notUp', { n: c.probed - c.up, total: c.total });
    case 'suspect':
      return t(lang, 'rec.suspect', { service: verdict.service.name, failures: verdict.service.consecutiveFailures, threshold: verdict.service.threshold });
    case 'unmonitored':
      return t(lang, 'rec.unmonitored', { config: configPath });
    case 'empty':
      return t(lang, 'rec.empty');
  }
}

export function RecommendationBox({ recommendation, services, configPath, runbookTitle, startKey, latestRun, openKey, runStateLabel, lang, width }: RecommendationBoxProps) {
  const inner = Math.max(0, width - 4);
  const verdict = fleetVerdict(services, recommendation);
  const color = recommendation ? (recommendation.level === 'L1' ? 'yellow' : 'red') : VERDICT_COLOR[verdict.kind];
  const head = headlineLines({ recommendation, services, configPath, runbookTitle, startKey, lang, width });
  return (
    <Box borderStyle="round" borderColor={color} paddingX={1} width={width} flexDirection="column" flexShrink={0}>
      {head.map((l, i) => (
        <Text key={i} color={color} bold={color !== 'gray'} wrap="truncate">
          {l}
        </Text>
      ))}
      {latestRun ? (
        <Text wrap="truncate" dimColor={latestRun.state !== 'running'}>
          {truncate(
            (openKey ? `[${openKey}] ` : '') +
              t(lang, 'rec.lastRun', { runbook: latestRun.title[lang], target: latestRun.target, state: runStateLabel(latestRun) }),
            inner,
          )}
        </Text>
      ) : null}
    </Box>
  );
}
