/**
 * Run names in their chart colours; clicking one opens the run.
 */
import * as React from 'react';
import type { TranslationBundle } from '@jupyterlab/translation';

import type { Run } from '../../api/types';

/** The name a run is shown by. */
export function runLabel(run: Run): string {
  return run.name || run.id.slice(0, 8);
}

export interface IRunNameProps {
  run: Run;
  color: string;
  onOpenRun: (runId: string) => void;
  trans: TranslationBundle;
}

/** A colour swatch and the run's name, as a button that opens the run. */
export function RunName(props: IRunNameProps): JSX.Element {
  const { run, color, trans } = props;
  return (
    <button
      type="button"
      className="jp-Studio-runName"
      title={trans.__('Open run %1 (%2)', runLabel(run), run.status)}
      onClick={() => props.onOpenRun(run.id)}
    >
      <span className="jp-Studio-swatch" style={{ backgroundColor: color }} />
      <span className="jp-Studio-runNameText">{runLabel(run)}</span>
      {run.status === 'RUNNING' && (
        <span className="jp-Studio-runningDot" title={trans.__('Running')} />
      )}
    </button>
  );
}

export interface IRunLegendProps {
  runs: Run[];
  colors: string[];
  onOpenRun: (runId: string) => void;
  trans: TranslationBundle;
}

/** Every compared run with its colour. */
export function RunLegend(props: IRunLegendProps): JSX.Element {
  return (
    <ul className="jp-Studio-legend" data-testid="studio-compare-legend">
      {props.runs.map((run, i) => (
        <li
          key={run.id}
          data-testid="studio-compare-legend-item"
          data-run-id={run.id}
        >
          <RunName
            run={run}
            color={props.colors[i]}
            onOpenRun={props.onOpenRun}
            trans={props.trans}
          />
        </li>
      ))}
    </ul>
  );
}
