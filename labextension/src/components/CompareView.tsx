/**
 * The comparison of 2 to 20 runs: a legend, params and metrics tables, overlaid metric charts,
 * a parallel-coordinates chart and a scatter. Pure: data in, `onOpenRun` out; only view choices
 * (toggles, selected axes) are local state.
 */
import * as React from 'react';
import type { TranslationBundle } from '@jupyterlab/translation';

import type { Run } from '../api/types';
import type { Histories } from '../models/compareModel';
import { Direction, guessDirection } from '../metricDirection';
import { preferredMetric } from './compare/compareData';
import { MetricCharts } from './compare/MetricCharts';
import type { IZoomProps } from './chartView';
import { MetricsSummaryTable } from './compare/MetricsSummaryTable';
import { ParallelCoordinates } from './compare/ParallelCoordinates';
import { ParamsDiffTable } from './compare/ParamsDiffTable';
import { RunLegend } from './compare/RunLegend';
import { ScatterPlot } from './compare/ScatterPlot';
import { runColor, useThemeVersion } from './theme';

export interface ICompareViewProps extends IZoomProps {
  /** The runs that loaded, in the order asked for. */
  runs: Run[];
  paramKeys: string[];
  differingParams: Set<string>;
  metricKeys: string[];
  histories: Histories;
  loading: boolean;
  /** The server's message(s) for what could not be loaded. */
  error: string | null;
  defaultSmoothing: number;
  onOpenRun: (runId: string) => void;
  trans: TranslationBundle;
}

export function CompareView(props: ICompareViewProps): JSX.Element {
  const { runs, paramKeys, differingParams, metricKeys, trans } = props;
  const themeVersion = useThemeVersion();
  const [onlyDifferences, setOnlyDifferences] = React.useState(false);
  const [directions, setDirections] = React.useState<Record<string, Direction>>(
    {}
  );
  const [colorBy, setColorBy] = React.useState<string | null>(null);
  const [scatterX, setScatterX] = React.useState<string | null>(null);
  const [scatterY, setScatterY] = React.useState<string | null>(null);

  const colors = React.useMemo(
    () => runs.map((_, i) => runColor(i)),
    [runs.length, themeVersion]
  );
  const effectiveDirections = React.useMemo(
    () =>
      Object.fromEntries(
        metricKeys.map(key => [key, directions[key] ?? guessDirection(key)])
      ),
    [metricKeys.join('\n'), directions]
  );
  const chartKeys = React.useMemo(
    () =>
      metricKeys.filter(key =>
        runs.some(run => (run.metrics[key]?.count ?? 0) > 1)
      ),
    [runs, metricKeys]
  );
  const parallelParams = React.useMemo(
    () => paramKeys.filter(key => differingParams.has(key)),
    [paramKeys, differingParams]
  );

  const firstParam = parallelParams[0] ?? paramKeys[0];
  const defaultX =
    firstParam !== undefined
      ? `params.${firstParam}`
      : `metrics.${metricKeys[1] ?? ''}`;
  const defaultY = `metrics.${preferredMetric(metricKeys) ?? ''}`;

  return (
    <div className="jp-Studio-compareView">
      <div className="jp-Studio-compareHeader">
        <RunLegend
          runs={runs}
          colors={colors}
          onOpenRun={props.onOpenRun}
          trans={trans}
        />
        {props.loading && (
          <span className="jp-Studio-hint" data-testid="studio-compare-loading">
            {trans.__('Loading…')}
          </span>
        )}
      </div>
      {props.error && (
        <div
          className="jp-Studio-error"
          data-testid="studio-compare-error"
          role="alert"
        >
          {props.error}
        </div>
      )}
      {runs.length < 2 ? (
        !props.loading && (
          <p className="jp-Studio-hint" data-testid="studio-compare-empty">
            {trans.__(
              'Fewer than two of these runs could be loaded: nothing to compare.'
            )}
          </p>
        )
      ) : (
        <>
          <ParamsDiffTable
            runs={runs}
            colors={colors}
            paramKeys={paramKeys}
            differing={differingParams}
            onlyDifferences={onlyDifferences}
            onOnlyDifferencesChange={setOnlyDifferences}
            onOpenRun={props.onOpenRun}
            trans={trans}
          />
          <MetricsSummaryTable
            runs={runs}
            colors={colors}
            metricKeys={metricKeys}
            directions={effectiveDirections}
            onDirectionChange={(key, direction) =>
              setDirections({ ...directions, [key]: direction })
            }
            onOpenRun={props.onOpenRun}
            trans={trans}
          />
          <MetricCharts
            runs={runs}
            colors={colors}
            metricKeys={chartKeys}
            histories={props.histories}
            zooms={props.zooms}
            onZoom={props.onZoom}
            onZoomOut={props.onZoomOut}
            defaultSmoothing={props.defaultSmoothing}
            trans={trans}
          />
          <ParallelCoordinates
            runs={runs}
            colors={colors}
            paramKeys={parallelParams}
            metricKeys={metricKeys}
            colorBy={colorBy}
            onColorByChange={setColorBy}
            themeVersion={themeVersion}
            trans={trans}
          />
          <ScatterPlot
            runs={runs}
            colors={colors}
            paramKeys={paramKeys}
            metricKeys={metricKeys}
            x={scatterX ?? defaultX}
            y={scatterY ?? defaultY}
            onXChange={setScatterX}
            onYChange={setScatterY}
            themeVersion={themeVersion}
            trans={trans}
          />
        </>
      )}
    </div>
  );
}
