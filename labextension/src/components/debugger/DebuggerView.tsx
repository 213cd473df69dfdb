/**
 * A run's Debugger tab: the watched tensors on the left; the chosen statistic of the chosen
 * tensors over steps (the metric chart, with its zoom), the first one's distribution over steps,
 * and the rules with their findings. Pure: props in, callbacks out.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { Finding, Histograms, RuleState } from '../../api/debugger';
import type {
  IStatLine,
  ITensorGroup,
  TensorGrouping
} from '../../models/debuggerTensors';
import {
  IStepSpan,
  IZoomView,
  zoomMaxPoints,
  zoomSpans
} from '../../models/zoom';
import { chartView } from '../chartView';
import { IChartSeries, MetricChart } from '../MetricChart';
import { runColor } from '../theme';
import { HistogramHeatmap } from './HistogramHeatmap';
import { RulesList } from './RulesList';
import { TensorTree } from './TensorTree';

export interface IDebuggerViewProps {
  groups: ITensorGroup[];
  /** How many tensors the run has in all (0: the empty state). */
  tensorCount: number;
  grouping: TensorGrouping;
  filter: string;
  modes: readonly string[];
  mode: string;
  stats: readonly string[];
  stat: string;
  selected: readonly string[];
  lines: readonly IStatLine[];
  zoom: IZoomView | null;
  histograms: Histograms | null;
  rules: readonly RuleState[];
  findings: readonly Finding[];
  focusStep: number | null;
  focusFindingId: number | null;
  loading: boolean;
  error: string | null;
  live: boolean;
  trans: TranslationBundle;
  onSelect: (tensor: string, add: boolean) => void;
  onFilter: (filter: string) => void;
  onGrouping: (grouping: TensorGrouping) => void;
  onMode: (mode: string) => void;
  onStat: (stat: string) => void;
  onFinding: (finding: Finding) => void;
  onZoom: (spans: Record<string, IStepSpan>, maxPoints: number) => void;
  onZoomOut: () => void;
}

/** Python, shown as written: code is not translated. */
const HOOK_EXAMPLE = [
  'from studio.debugger import TorchHook',
  'with TorchHook(model, optimizer=optimizer, run=run) as hook:',
  '    ...  # train as usual'
].join('\n');

function StatChart(props: IDebuggerViewProps): JSX.Element {
  const { lines, zoom, trans, onZoom } = props;
  const drawn = React.useMemo(
    () => lines.map(line => zoom?.lines?.[line.key] ?? line),
    [lines, zoom]
  );
  const series = React.useMemo<IChartSeries[]>(
    () =>
      lines.map((line, i) => ({
        name: line.tensor,
        x: drawn[i].steps,
        y: drawn[i].values,
        color: runColor(i)
      })),
    [lines, drawn]
  );
  const zoomed = !!zoom?.lines;
  const view = React.useMemo(
    () =>
      chartView(
        lines.map((line, i) => ({
          points: drawn[i].values.length,
          total: line.total,
          downsampled: drawn[i].downsampled
        })),
        zoomed,
        zoom,
        trans
      ),
    [lines, drawn, zoomed, zoom, trans]
  );
  const zoomIn = React.useCallback(
    (selection: IStepSpan, plotWidth: number) => {
      const spans = zoomSpans(
        lines.map((line, i) => ({
          runId: line.key,
          x: drawn[i].steps,
          steps: drawn[i].steps
        })),
        selection,
        true
      );
      if (Object.keys(spans).length > 0) {
        onZoom(spans, zoomMaxPoints(plotWidth));
      }
    },
    [lines, drawn, onZoom]
  );
  const markers = React.useMemo(
    () => (props.focusStep === null ? [] : [props.focusStep]),
    [props.focusStep]
  );
  const errors = lines.filter(line => line.error);
  return (
    <div
      className="jp-Studio-chartCard"
      data-testid="studio-debugger-chart-card"
    >
      <MetricChart
        metricKey={props.stat}
        series={series}
        xAxis="step"
        xAxisTitle={trans.__('step')}
        logScale={false}
        smoothing={0}
        downloadTitle={trans.__('Download as PNG')}
        testId="studio-debugger-chart"
        view={view}
        markers={markers}
        onZoom={zoomIn}
        onZoomOut={props.onZoomOut}
      />
      {lines.length > 1 && (
        <div className="jp-Studio-chartLegend">
          {lines.map((line, i) => (
            <span key={line.key}>
              <span
                className="jp-Studio-chartTooltip-swatch"
                style={{ background: runColor(i) }}
              />
              {line.tensor}
            </span>
          ))}
        </div>
      )}
      {errors.map(line => (
        <div key={line.key} className="jp-Studio-chartNote">
          {line.tensor}: {line.error}
        </div>
      ))}
    </div>
  );
}

function Picker(props: {
  label: string;
  value: string;
  options: readonly string[];
  testId: string;
  onChange: (value: string) => void;
}): JSX.Element {
  return (
    <label className="jp-Studio-picker">
      {props.label}
      <select
        className="jp-mod-styled"
        data-testid={props.testId}
        value={props.value}
        onChange={event => props.onChange(event.currentTarget.value)}
      >
        {props.options.map(option => (
          <option key={option} value={option}>
            {option}
          </option>
        ))}
      </select>
    </label>
  );
}

export function DebuggerView(props: IDebuggerViewProps): JSX.Element {
  const { trans } = props;
  const flagged = React.useMemo(
    () => new Set(props.findings.flatMap(finding => finding.tensors)),
    [props.findings]
  );
  const firstRange = props.zoom
    ? (Object.values(props.zoom.ranges)[0] ?? null)
    : null;
  if (props.tensorCount === 0 && props.rules.length === 0) {
    return (
      <div className="jp-Studio-debugger" data-testid="studio-debugger">
        {props.error ? (
          <div className="jp-Studio-error" role="alert">
            {props.error}
          </div>
        ) : props.loading ? (
          <div className="jp-Studio-muted">{trans.__('Loading…')}</div>
        ) : (
          <div
            className="jp-Studio-emptyNote"
            data-testid="studio-debugger-empty"
          >
            <p>
              {trans.__(
                'This run has no debugger data. Watch a training with the debugger:'
              )}
            </p>
            <pre>{HOOK_EXAMPLE}</pre>
          </div>
        )}
      </div>
    );
  }
  return (
    <div
      className="jp-Studio-debugger"
      data-testid="studio-debugger"
      data-live={String(props.live)}
    >
      {props.error && (
        <div className="jp-Studio-error" role="alert">
          {props.error}
        </div>
      )}
      <aside className="jp-Studio-debugger-tensors">
        <TensorTree
          groups={props.groups}
          grouping={props.grouping}
          filter={props.filter}
          selected={props.selected}
          flagged={flagged}
          trans={trans}
          onSelect={props.onSelect}
          onFilter={props.onFilter}
          onGrouping={props.onGrouping}
        />
      </aside>
      <div className="jp-Studio-debugger-main">
        <div className="jp-Studio-debugger-toolbar">
          {props.modes.length > 1 && (
            <Picker
              label={trans.__('Mode')}
              value={props.mode}
              options={props.modes}
              testId="studio-debugger-mode"
              onChange={props.onMode}
            />
          )}
          <Picker
            label={trans.__('Statistic')}
            value={props.stat}
            options={props.stats.length ? props.stats : [props.stat]}
            testId="studio-debugger-stat"
            onChange={props.onStat}
          />
          {props.focusStep !== null && (
            <span
              className="jp-Studio-debugger-focus"
              data-testid="studio-debugger-focus"
            >
              {trans.__('step %1 marked', props.focusStep)}
            </span>
          )}
          {props.live && (
            <span className="jp-Studio-liveBadge">{trans.__('live')}</span>
          )}
        </div>
        {props.selected.length === 0 ? (
          <p className="jp-Studio-muted">
            {trans.__('Choose a tensor to chart its statistics.')}
          </p>
        ) : (
          <div className="jp-Studio-debugger-charts">
            <StatChart {...props} />
            {props.histograms ? (
              <HistogramHeatmap
                histograms={props.histograms}
                range={firstRange}
                focusStep={props.focusStep}
                trans={trans}
              />
            ) : (
              <div className="jp-Studio-chartCard jp-Studio-chartPlaceholder">
                {trans.__('No histograms recorded for %1.', props.selected[0])}
              </div>
            )}
          </div>
        )}
        <section className="jp-Studio-section">
          <h3>{trans.__('Rules')}</h3>
          <RulesList
            rules={props.rules}
            findings={props.findings}
            focusFindingId={props.focusFindingId}
            trans={trans}
            onFinding={props.onFinding}
          />
        </section>
      </div>
    </div>
  );
}
