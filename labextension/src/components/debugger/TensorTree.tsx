/**
 * The watched tensors, grouped by module or by collection, with a filter. A click shows a
 * tensor alone; Ctrl/⌘-click (or its checkbox) adds it to the chart beside the others.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type {
  ITensorGroup,
  TensorGrouping
} from '../../models/debuggerTensors';

export interface ITensorTreeProps {
  groups: ITensorGroup[];
  grouping: TensorGrouping;
  filter: string;
  selected: readonly string[];
  /** Tensors some finding names: marked in the list. */
  flagged: ReadonlySet<string>;
  trans: TranslationBundle;
  onSelect: (tensor: string, add: boolean) => void;
  onFilter: (filter: string) => void;
  onGrouping: (grouping: TensorGrouping) => void;
}

export function TensorTree(props: ITensorTreeProps): JSX.Element {
  const { trans, selected } = props;
  const groupings: [TensorGrouping, string][] = [
    ['module', trans.__('By module')],
    ['collection', trans.__('By collection')]
  ];
  return (
    <div className="jp-Studio-tensorTree" data-testid="studio-tensor-tree">
      <input
        type="search"
        className="jp-mod-styled jp-Studio-tensorFilter"
        data-testid="studio-tensor-filter"
        placeholder={trans.__('Filter tensors')}
        aria-label={trans.__('Filter tensors')}
        value={props.filter}
        onChange={event => props.onFilter(event.currentTarget.value)}
      />
      <div className="jp-Studio-segmented" role="radiogroup">
        {groupings.map(([grouping, label]) => (
          <button
            key={grouping}
            role="radio"
            aria-checked={props.grouping === grouping}
            className={props.grouping === grouping ? 'jp-mod-active' : ''}
            data-testid={`studio-group-by-${grouping}`}
            onClick={() => props.onGrouping(grouping)}
          >
            {label}
          </button>
        ))}
      </div>
      {props.groups.length === 0 && (
        <p className="jp-Studio-muted">{trans.__('No tensor matches.')}</p>
      )}
      {props.groups.map(group => (
        <div key={group.name} className="jp-Studio-tensorGroup">
          <div className="jp-Studio-tensorGroup-name" title={group.name}>
            {group.name}
          </div>
          <ul>
            {group.tensors.map(tensor => {
              const isSelected = selected.includes(tensor.name);
              return (
                <li
                  key={tensor.name}
                  className={isSelected ? 'jp-mod-selected' : ''}
                  data-testid="studio-tensor-item"
                  data-tensor={tensor.name}
                  data-selected={String(isSelected)}
                >
                  <input
                    type="checkbox"
                    checked={isSelected}
                    title={trans.__('Overlay on the chart')}
                    aria-label={trans.__('Overlay %1', tensor.name)}
                    onChange={() => props.onSelect(tensor.name, true)}
                  />
                  <button
                    className="jp-Studio-tensorName"
                    title={tensor.name}
                    onClick={event =>
                      props.onSelect(
                        tensor.name,
                        event.ctrlKey || event.metaKey
                      )
                    }
                  >
                    {tensor.name}
                  </button>
                  {props.flagged.has(tensor.name) && (
                    <span
                      className="jp-Studio-tensorFlag"
                      title={trans.__('A rule fired on this tensor')}
                    >
                      !
                    </span>
                  )}
                </li>
              );
            })}
          </ul>
        </div>
      ))}
    </div>
  );
}
