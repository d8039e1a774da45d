// R-HLT-6: the recommended runbook for the current symptoms, one key away; and the latest run.
import { Box, Text } from 'ink';
import type { Lang, Recommendation, RunView } from '../../src/core/views';
import { t } from '../../src/i18n/catalog';
import { truncate } from '../shared/text';

export interface RecommendationBoxProps {
  recommendation?: Recommendation;
  runbookTitle(id: string): string;
  /** Key that starts it; absent in a read-only console. */
  startKey?: string;
  latestRun?: RunView;
  openKey?: string;
  runStateLabel(run: RunView): string;
  lang: Lang;
  width: number;
}

/** Lines inside the border: the recommendation, and the latest run when there is one. */
export function recommendationLines(latestRun: RunView | undefined): number {
  return latestRun ? 2 : 1;
}

export function RecommendationBox({ recommendation, runbookTitle, startKey, latestRun, openKey, runStateLabel, lang, width }: RecommendationBoxProps) {
  const inner = Math.max(0, width - 4);
  const color = !recommendation ? 'green' : recommendation.level === 'L1' ? 'yellow' : 'red';
  // The key goes first so a narrow terminal cuts the reason, never the key.
  const text = recommendation
    ? (startKey ? `[${startKey}] ` : '') +
      t(lang, 'rec.recommended', {
        runbook: runbookTitle(recommendation.runbook),
        target: recommendation.target,
        reason: recommendation.reason[lang],
      })
    : t(lang, 'rec.healthy');
  return (
    <Box borderStyle="round" borderColor={color} paddingX={1} width={width} flexDirection="column" flexShrink={0}>
      <Text color={color} bold wrap="truncate">
        {truncate(text, inner)}
      </Text>
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
