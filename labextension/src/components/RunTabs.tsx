/**
 * The run panel's tab bar, and the run's name and status above the tabs other than the
 * overview (which draws its own). Pure: props in, the chosen tab out.
 */
import * as React from 'react';

import type { Run } from '../api/types';
import { StatusBadge } from './RunView';

export function RunTabBar<T extends string>(props: {
  /** Each tab's key and label. */
  tabs: [T, string][];
  current: T;
  onSelect: (tab: T) => void;
}): JSX.Element {
  return (
    <div className="jp-Studio-runTabs" role="tablist">
      {props.tabs.map(([tab, label]) => (
        <button
          key={tab}
          role="tab"
          aria-selected={props.current === tab}
          className={
            'jp-Studio-runTab' +
            (props.current === tab ? ' jp-mod-current' : '')
          }
          data-testid={`studio-run-tab-${tab}`}
          onClick={() => props.onSelect(tab)}
        >
          {label}
        </button>
      ))}
    </div>
  );
}

export function RunHeader(props: { run: Run | null }): JSX.Element | null {
  const { run } = props;
  return (
    run && (
      <header className="jp-Studio-runHeader">
        <h2 title={run.id}>{run.name || run.id}</h2>
        <StatusBadge status={run.status} />
      </header>
    )
  );
}
