// The dashboard body: services pane on top (windowed), recommendation box below.
import { Box } from 'ink';
import type { FleetSnapshot, Lang, RunView } from '../../src/core/views';
import { ServicesPane } from './services-pane';
import { headlineLines, RecommendationBox, recommendationLines } from './recommendation';
import type { ServiceHealth } from '../../src/core/views';
import { FleetDashboard, ServicesFilterLine, type FleetPanesModel } from './fleet-panes';

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
  /** Nodes, hosts and alerts panes, focus and filters (absent: the services pane alone). */
  fleetPanes?: FleetPanesModel;
  /** Services before the `/` filter. */
  allServices?: number;
}

export function Dashboard(props: DashboardProps) {
  const { fleet, width, height } = props;
  const head = headlineLines({ recommendation: fleet.recommendation, services: fleet.services, configPath: props.configPath, runbookTitle: props.runbookTitle, startKey: props.startKey, lang: props.lang, width });
  const recHeight = recommendationLines(props.latestRun, head.length) + 2; // + border
  const model = props.fleetPanes;
  const filterLine = model && (model.editing || model.filters.services) ? 1 : 0;
  const rows = Math.max(1, height - recHeight - 1 - filterLine); // - column header
  const multi = model !== undefined && model.present.length > 1;
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      {multi ? (
        <FleetDashboard
          model={model}
          services={props.services}
          allServices={props.allServices ?? props.services.length}
          selected={props.selected}
          width={width}
          height={Math.max(1, height - recHeight)}
          now={props.now}
          lang={props.lang}
          configPath={props.configPath}
        />
      ) : null}
      {!multi && model ? <ServicesFilterLine model={model} shown={props.services.length} total={props.allServices ?? props.services.length} width={width} lang={props.lang} /> : null}
      {multi ? null : <ServicesPane
        services={props.services}
        selected={props.selected}
        rows={rows}
        width={width}
        now={props.now}
        lang={props.lang}
        configPath={props.configPath}
      />}
      <Box flexGrow={1} />
      <RecommendationBox
        recommendation={fleet.recommendation}
        services={fleet.services}
        configPath={props.configPath}
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
