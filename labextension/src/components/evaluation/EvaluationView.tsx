/**
 * A run's Evaluation tab: a choice of the run's evaluations (holdout, cv, test, training...),
 * the one chosen (what was scored and how, its metrics beside the baseline's, its folds and
 * thresholds) and its figures. Pure: props in, the choice out.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { Evaluation, EvaluationFigure } from '../../api/evaluation';
import { runColor, themeColors, useThemeVersion } from '../theme';
import { usePlot, plotConfig } from '../usePlot';
import { figureTitle, orderedFigures, themedFigure } from './figures';
import { FoldsTable, MetricsTable, PassBadge } from './MetricsTable';

export interface IEvaluationViewProps {
  runId: string;
  evaluations: readonly Evaluation[];
  selected: Evaluation | null;
  loading: boolean;
  error: string | null;
  onSelect: (label: string) => void;
  trans: TranslationBundle;
}

/** Colours of a figure's traces (a class each, at most ten are drawn). */
const PALETTE_SIZE = 10;

function EvaluationPlot(props: {
  name: string;
  figure: EvaluationFigure;
  label: string;
  themeVersion: number;
  trans: TranslationBundle;
}): JSX.Element {
  const { name, figure, label, themeVersion, trans } = props;
  const { data, layout } = React.useMemo(() => {
    const palette = Array.from({ length: PALETTE_SIZE }, (_, i) => runColor(i));
    return themedFigure(
      figure,
      themeColors(),
      palette,
      figureTitle(name, trans)
    );
  }, [figure, themeVersion]);
  const config = React.useMemo(
    () => plotConfig(`${label}-${name}`),
    [label, name]
  );
  const ref = usePlot(data, layout, config);
  return (
    <div
      ref={ref}
      className="jp-Studio-plot jp-Studio-evalFigure"
      data-testid="studio-evaluation-figure"
      data-figure={name}
    />
  );
}

function Summary(props: {
  evaluation: Evaluation;
  trans: TranslationBundle;
}): JSX.Element {
  const { evaluation, trans } = props;
  const rows: [string, string][] = [
    [trans.__('Task'), evaluation.task],
    [trans.__('Validation'), evaluation.validation],
    [trans.__('Model'), evaluation.model],
    [trans.__('Rows scored'), String(evaluation.rows)],
    [trans.__('Baseline'), evaluation.baseline_model],
    [trans.__('Evaluated'), new Date(evaluation.created_at).toLocaleString()]
  ];
  // Autolog's evaluations name no baseline.
  const shown = rows.filter(([, value]) => value !== '');
  return (
    <dl className="jp-Studio-overview" data-testid="studio-evaluation-summary">
      {shown.map(([label, value]) => (
        <React.Fragment key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </React.Fragment>
      ))}
    </dl>
  );
}

/** A call that evaluates a model into the run, to copy. */
function evaluateExample(runId: string): string {
  return [
    'import studio',
    '',
    `studio.evaluate(model, X, y, cv=5, run="${runId}",`,
    '                thresholds={"accuracy": ">= 0.9"})'
  ].join('\n');
}

/** What the tab says while the run has no evaluation: how to make one. */
function EmptyNote(props: {
  runId: string;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  return (
    <div className="jp-Studio-emptyNote" data-testid="studio-evaluation-empty">
      <p>{trans.__('This run has no evaluation yet.')}</p>
      <p>
        {trans.__(
          'Evaluate a model on held-out data, with k-fold cross-validation or on a test set, and log it to this run:'
        )}
      </p>
      <pre>
        <code>{evaluateExample(props.runId)}</code>
      </pre>
      <p>
        {trans.__(
          'studio.autolog() also records an evaluation of the training data for classifiers.'
        )}
      </p>
    </div>
  );
}

export function EvaluationView(props: IEvaluationViewProps): JSX.Element {
  const { evaluations, selected, trans } = props;
  const themeVersion = useThemeVersion();
  if (props.error && evaluations.length === 0) {
    return (
      <div className="jp-Studio-error" role="alert">
        {props.error}
      </div>
    );
  }
  if (!selected) {
    return props.loading ? (
      <div className="jp-Studio-muted">
        {trans.__('Loading the evaluations…')}
      </div>
    ) : (
      <EmptyNote runId={props.runId} trans={trans} />
    );
  }
  return (
    <div className="jp-Studio-evaluation" data-testid="studio-evaluation">
      {props.error && (
        <div className="jp-Studio-error" role="alert">
          {props.error}
        </div>
      )}
      <div className="jp-Studio-evalChoice" role="tablist">
        {evaluations.map(evaluation => (
          <button
            key={evaluation.label}
            role="tab"
            aria-selected={evaluation === selected}
            className={
              'jp-Studio-evalLabel' +
              (evaluation === selected ? ' jp-mod-current' : '')
            }
            data-testid="studio-evaluation-label"
            data-label={evaluation.label}
            title={evaluation.validation}
            onClick={() => props.onSelect(evaluation.label)}
          >
            {evaluation.label}
          </button>
        ))}
        {selected.passed !== null && (
          <span className="jp-Studio-evalVerdict">
            {trans.__('Thresholds:')}{' '}
            <PassBadge
              passed={selected.passed}
              trans={trans}
              testId="studio-evaluation-passed"
            />
          </span>
        )}
      </div>
      <div className="jp-Studio-evalNumbers">
        <section className="jp-Studio-section jp-Studio-evalSummary">
          <h3>{trans.__('Evaluation')}</h3>
          <Summary evaluation={selected} trans={trans} />
        </section>
        <section className="jp-Studio-section jp-Studio-evalMetrics">
          <h3>{trans.__('Metrics')}</h3>
          <MetricsTable evaluation={selected} trans={trans} />
        </section>
      </div>
      {selected.folds.length > 0 && (
        <section className="jp-Studio-section jp-Studio-evalFolds">
          <h3>{trans.__('Folds')}</h3>
          <FoldsTable evaluation={selected} trans={trans} />
        </section>
      )}
      <section className="jp-Studio-section">
        <h3>{trans.__('Figures')}</h3>
        {Object.keys(selected.figures).length === 0 ? (
          <div className="jp-Studio-muted">{trans.__('No figures')}</div>
        ) : (
          <div className="jp-Studio-evalFigures">
            {orderedFigures(selected.figures).map(name => (
              <EvaluationPlot
                key={`${selected.label}/${name}`}
                name={name}
                figure={selected.figures[name]}
                label={selected.label}
                themeVersion={themeVersion}
                trans={trans}
              />
            ))}
          </div>
        )}
      </section>
    </div>
  );
}
