/**
 * A run's details: overview, params, tags, metric charts and artifacts.
 * Pure: props in, callbacks out.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { formatDuration } from '../format';

import { runDatasets } from '../api/evaluation';
import type { Artifact, Run } from '../api/types';
import type { IMetricSeries } from '../models/runModel';
import { ArtifactTree } from './ArtifactTree';
import { DatasetsTable } from './evaluation/DatasetsTable';
import { IChartOptions, IZoomProps, RunCharts } from './RunCharts';

export interface IRunViewProps extends IZoomProps {
  run: Run | null;
  parent: Run | null;
  children: Run[];
  childrenTotal: number;
  metrics: IMetricSeries[];
  folders: ReadonlyMap<string, Artifact[]>;
  expanded: ReadonlySet<string>;
  loading: boolean;
  error: string | null;
  artifactsError: string | null;
  /** The source notebook's path under the server root; null when it is not under it. */
  sourcePath: string | null;
  /** Initial smoothing of the charts (the defaultSmoothing setting). */
  defaultSmoothing: number;
  /** Now, in epoch ms: the duration of a running run counts up to it. */
  now: number;
  downloadUrl: (path: string) => string;
  onOpenRun: (runId: string) => void;
  onOpenSource: (path: string) => void;
  onToggleFolder: (path: string) => void;
  onOpenArtifact?: (path: string) => void;
  trans: TranslationBundle;
}

/** A run's duration, or a dash while it has none. */
function durationText(ms: number | null): string {
  return ms === null ? '—' : formatDuration(ms) || '—';
}

function formatTime(ms: number | null): string {
  return ms === null ? '—' : new Date(ms).toLocaleString();
}

function RunLink(props: {
  run: Run;
  onOpenRun: (id: string) => void;
  testId?: string;
}): JSX.Element {
  return (
    <button
      className="jp-Studio-linkButton"
      data-testid={props.testId}
      data-run-id={props.run.id}
      title={props.run.id}
      onClick={() => props.onOpenRun(props.run.id)}
    >
      {props.run.name || props.run.id}
    </button>
  );
}

/** A status badge; `testId` only on the run's own (the contract wants it once). */
export function StatusBadge(props: {
  status: string;
  testId?: string;
}): JSX.Element {
  return (
    <span
      className={`jp-Studio-runStatus jp-Studio-runStatus-${props.status}`}
      data-testid={props.testId}
      data-status={props.status}
    >
      {props.status}
    </span>
  );
}

function Overview(props: IRunViewProps & { run: Run }): JSX.Element {
  const { run, trans } = props;
  const end = run.end_time ?? (run.status === 'RUNNING' ? props.now : null);
  const rows: [string, React.ReactNode][] = [
    [trans.__('Started'), formatTime(run.start_time)],
    [trans.__('Ended'), formatTime(run.end_time)],
    [
      trans.__('Duration'),
      durationText(
        run.duration_ms ?? (end === null ? null : end - run.start_time)
      )
    ],
    [
      trans.__('Source'),
      run.source === null ? (
        '—'
      ) : props.sourcePath !== null ? (
        <button
          className="jp-Studio-linkButton"
          data-testid="studio-source-link"
          title={trans.__('Open %1 in JupyterLab', props.sourcePath)}
          onClick={() => props.onOpenSource(props.sourcePath as string)}
        >
          {props.sourcePath}
        </button>
      ) : (
        <span
          data-testid="studio-source-link"
          title={trans.__('Outside the server root')}
        >
          {run.source}
        </span>
      )
    ],
    [trans.__('Run ID'), <code>{run.id}</code>]
  ];
  if (run.parent_run_id) {
    rows.push([
      trans.__('Parent run'),
      props.parent ? (
        <RunLink
          run={props.parent}
          onOpenRun={props.onOpenRun}
          testId="studio-parent-run"
        />
      ) : (
        <code data-testid="studio-parent-run">{run.parent_run_id}</code>
      )
    ]);
  }
  return (
    <dl className="jp-Studio-overview">
      {rows.map(([label, value]) => (
        <React.Fragment key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </React.Fragment>
      ))}
    </dl>
  );
}

function ChildRuns(props: IRunViewProps): JSX.Element | null {
  const { trans } = props;
  if (props.children.length === 0) {
    return null;
  }
  const more = props.childrenTotal - props.children.length;
  return (
    <section className="jp-Studio-section">
      <h3>{trans.__('Child runs (%1)', props.childrenTotal)}</h3>
      <ul className="jp-Studio-childRuns" data-testid="studio-child-runs">
        {props.children.map(child => (
          <li key={child.id}>
            <StatusBadge status={child.status} />
            <RunLink run={child} onOpenRun={props.onOpenRun} />
          </li>
        ))}
        {more > 0 && (
          <li className="jp-Studio-muted">{trans.__('and %1 more', more)}</li>
        )}
      </ul>
    </section>
  );
}

function KeyValueTable(props: {
  values: Record<string, string>;
  testId: string;
  empty: string;
}): JSX.Element {
  const keys = Object.keys(props.values).sort();
  if (keys.length === 0) {
    return (
      <div className="jp-Studio-muted" data-testid={props.testId}>
        {props.empty}
      </div>
    );
  }
  return (
    <table className="jp-Studio-kvTable" data-testid={props.testId}>
      <tbody>
        {keys.map(key => (
          <tr key={key} data-key={key}>
            <th scope="row">{key}</th>
            <td>{props.values[key]}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The datasets the run's tags list (autolog's and `studio.evaluate`'s); nothing without. */
function Datasets(props: {
  run: Run;
  trans: TranslationBundle;
}): JSX.Element | null {
  const datasets = React.useMemo(
    () => runDatasets(props.run.tags),
    [props.run.tags]
  );
  if (datasets.length === 0) {
    return null;
  }
  return (
    <section className="jp-Studio-section">
      <h3>{props.trans.__('Datasets')}</h3>
      <DatasetsTable datasets={datasets} trans={props.trans} />
    </section>
  );
}

export function RunView(props: IRunViewProps): JSX.Element {
  const { run, trans } = props;
  const [chartOptions, setChartOptions] = React.useState<IChartOptions>({
    xAxis: 'step',
    logScale: false,
    smoothing: props.defaultSmoothing
  });
  if (!run) {
    return (
      <div className="jp-Studio-runView">
        {props.error ? (
          <div className="jp-Studio-error" role="alert">
            {props.error}
          </div>
        ) : (
          <div className="jp-Studio-muted">{trans.__('Loading the run…')}</div>
        )}
      </div>
    );
  }
  return (
    <div className="jp-Studio-runView">
      <header className="jp-Studio-runHeader">
        <h2 title={run.id}>{run.name || run.id}</h2>
        <StatusBadge status={run.status} testId="studio-run-status" />
      </header>
      {props.error && (
        <div className="jp-Studio-error" role="alert">
          {props.error}
        </div>
      )}
      <div className="jp-Studio-runColumns">
        <section className="jp-Studio-section">
          <h3>{trans.__('Overview')}</h3>
          <Overview {...props} run={run} />
        </section>
        <section className="jp-Studio-section">
          <h3>{trans.__('Params')}</h3>
          <KeyValueTable
            values={run.params}
            testId="studio-params"
            empty={trans.__('No params')}
          />
        </section>
        <section className="jp-Studio-section">
          <h3>{trans.__('Tags')}</h3>
          <KeyValueTable
            values={run.tags}
            testId="studio-tags"
            empty={trans.__('No tags')}
          />
        </section>
      </div>
      <Datasets run={run} trans={trans} />
      <ChildRuns {...props} />
      <section className="jp-Studio-section">
        <h3>{trans.__('Metrics')}</h3>
        <RunCharts
          runId={run.id}
          zooms={props.zooms}
          onZoom={props.onZoom}
          onZoomOut={props.onZoomOut}
          runName={run.name || run.id}
          metrics={props.metrics}
          summaries={run.metrics}
          options={chartOptions}
          onOptionsChange={setChartOptions}
          trans={trans}
        />
      </section>
      <section className="jp-Studio-section">
        <h3>{trans.__('Artifacts')}</h3>
        <ArtifactTree
          folders={props.folders}
          expanded={props.expanded}
          error={props.artifactsError}
          downloadUrl={props.downloadUrl}
          onToggleFolder={props.onToggleFolder}
          onOpen={props.onOpenArtifact}
          trans={trans}
        />
      </section>
    </div>
  );
}
