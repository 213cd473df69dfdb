/**
 * The options of a grid of metric charts (x by step or time, log scale, smoothing), shared by
 * the run panel and the compare panel.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

export type XAxisKind = 'step' | 'time';

export interface IChartOptions {
  xAxis: XAxisKind;
  logScale: boolean;
  smoothing: number;
}

/** The x axis's title, as the charts and the toolbar say it. */
export function xAxisTitle(xAxis: XAxisKind, trans: TranslationBundle): string {
  return xAxis === 'time' ? trans.__('time') : trans.__('step');
}

export function ChartToolbar(props: {
  options: IChartOptions;
  onChange: (options: IChartOptions) => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { options, onChange, trans } = props;
  const time = options.xAxis === 'time';
  return (
    <div className="jp-Studio-chartToolbar">
      <button
        className="jp-Studio-toggle"
        data-testid="studio-xaxis-toggle"
        data-value={options.xAxis}
        aria-pressed={time}
        title={trans.__('Plot against the step or the wall-clock time')}
        onClick={() => onChange({ ...options, xAxis: time ? 'step' : 'time' })}
      >
        {time ? trans.__('x: time') : trans.__('x: step')}
      </button>
      <label className="jp-Studio-checkbox">
        <input
          type="checkbox"
          data-testid="studio-logscale-toggle"
          checked={options.logScale}
          onChange={event =>
            onChange({ ...options, logScale: event.target.checked })
          }
        />
        {trans.__('Log scale')}
      </label>
      <label className="jp-Studio-smoothing">
        {trans.__('Smoothing')}
        <input
          type="range"
          data-testid="studio-smoothing"
          min={0}
          max={0.99}
          step={0.01}
          value={options.smoothing}
          onChange={event =>
            onChange({ ...options, smoothing: Number(event.target.value) })
          }
        />
        <span className="jp-Studio-smoothing-value">
          {options.smoothing.toFixed(2)}
        </span>
      </label>
    </div>
  );
}
