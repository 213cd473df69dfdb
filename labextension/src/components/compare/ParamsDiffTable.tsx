/**
 * Params side by side, one column per run; rows whose values differ are highlighted.
 */
import * as React from 'react';
import type { TranslationBundle } from '@jupyterlab/translation';

import type { Run } from '../../api/types';
import { RunName } from './RunLegend';

export interface IParamsDiffTableProps {
  runs: Run[];
  colors: string[];
  paramKeys: string[];
  differing: Set<string>;
  onlyDifferences: boolean;
  onOnlyDifferencesChange: (value: boolean) => void;
  onOpenRun: (runId: string) => void;
  trans: TranslationBundle;
}

export function ParamsDiffTable(props: IParamsDiffTableProps): JSX.Element {
  const { runs, colors, paramKeys, differing, onlyDifferences, trans } = props;
  const shown = onlyDifferences
    ? paramKeys.filter(key => differing.has(key))
    : paramKeys;
  return (
    <div className="jp-Studio-compareSection">
      <div className="jp-Studio-sectionHeader">
        <h3>{trans.__('Params')}</h3>
        <label className="jp-Studio-toggle">
          <input
            type="checkbox"
            data-testid="studio-only-differences"
            checked={onlyDifferences}
            onChange={event =>
              props.onOnlyDifferencesChange(event.target.checked)
            }
          />
          {trans.__('Only differences')}
        </label>
        <span
          className="jp-Studio-hint"
          data-testid="studio-compare-differing-count"
        >
          {trans.__('%1 of %2 params differ', differing.size, paramKeys.length)}
        </span>
      </div>
      <div className="jp-Studio-tableScroll">
        <table
          className="jp-Studio-compareTable"
          data-testid="studio-compare-params"
        >
          <thead>
            <tr>
              <th className="jp-Studio-keyCell">{trans.__('Param')}</th>
              {runs.map((run, i) => (
                <th key={run.id} data-run-id={run.id}>
                  <RunName
                    run={run}
                    color={colors[i]}
                    onOpenRun={props.onOpenRun}
                    trans={trans}
                  />
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map(key => {
              const differs = differing.has(key);
              return (
                <tr
                  key={key}
                  data-testid="studio-compare-param-row"
                  data-param={key}
                  className={differs ? 'jp-Studio-differs' : undefined}
                >
                  <th scope="row" className="jp-Studio-keyCell" title={key}>
                    {key}
                  </th>
                  {runs.map(run => {
                    const value = run.params[key];
                    return (
                      <td
                        key={run.id}
                        data-run-id={run.id}
                        title={value}
                        className={
                          value === undefined ? 'jp-Studio-missing' : undefined
                        }
                      >
                        {value ?? '—'}
                      </td>
                    );
                  })}
                </tr>
              );
            })}
            {shown.length === 0 && (
              <tr>
                <td className="jp-Studio-emptyCell" colSpan={runs.length + 1}>
                  {paramKeys.length
                    ? trans.__('Every param has the same value in all runs.')
                    : trans.__('These runs have no params.')}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}
