// The dashboard body: services pane on top (windowed), recommendation box below.
import { Box } from 'ink';
import type { FleetSnapshot, Lang, RunView } from '../../src/core/views';
import { ServicesPane } from './services-pane';
import { RecommendationBox, recommendationLines } from './recommendation';
import type { ServiceHealth } from '../../src/core/views';

export interface DashboardProps {
  fleet: FleetSnapshot;
  services: ServiceHealth[]; // sorted worst first
  selected: number;
  latestRun?: RunView;
  runbookTitle(id: string): string;
  runStateLabel(run: RunView): string;
  startKey?: string;
  openKey?: string;
  now: Date;
  lang: Lang;
  configPath: string;
  width: number;
  height: number;
}

export function Dashboard(props: DashboardProps) {
  const { fleet, width, height } = props;
  const recHeight = recommendationLines(props.latestRun) + 2; // + border
  const rows = Math.max(1, height - recHeight - 1); // - column header
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <ServicesPane
        services={props.services}
        selected={props.selected}
        rows={rows}
        width={width}
        now={props.now}
        lang={props.lang}
        configPath={props.configPath}
      />
      <Box flexGrow={1} />
      <RecommendationBox
        recommendation={fleet.recommendation}
        runbookTitle={props.runbookTitle}
        startKey={props.startKey}
        latestRun={props.latestRun}
        openKey={props.openKey}
        runStateLabel={props.runStateLabel}
        lang={props.lang}
        width={width}
      />
    </Box>
  );
}
