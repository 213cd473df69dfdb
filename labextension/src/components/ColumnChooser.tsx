/**
 * The "Columns" button and its dropdown: a checkbox per param and metric seen in the runs.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

export interface IColumnChooserProps {
  /** Every param/metric column that can be shown, e.g. "metrics.accuracy", "params.max_depth". */
  available: string[];
  /** Those shown now. */
  chosen: string[];
  /** Those shown because the filter names them: they stay while it applies. */
  shownByFilter?: string[];
  trans: TranslationBundle;
  onToggle: (column: string, shown: boolean) => void;
  /** Back to the default columns. */
  onReset: () => void;
}

export function ColumnChooser(props: IColumnChooserProps): JSX.Element {
  const { available, chosen, trans } = props;
  const [open, setOpen] = React.useState(false);
  const [search, setSearch] = React.useState('');
  const root = React.useRef<HTMLDivElement>(null);

  React.useEffect(() => {
    if (!open) {
      return;
    }
    const close = (event: MouseEvent) => {
      if (root.current && !root.current.contains(event.target as Node)) {
        setOpen(false);
      }
    };
    document.addEventListener('mousedown', close);
    return () => document.removeEventListener('mousedown', close);
  }, [open]);

  const shown = new Set(chosen);
  const byFilter = new Set(props.shownByFilter ?? []);
  const needle = search.trim().toLowerCase();
  const matching = available.filter(column =>
    column.toLowerCase().includes(needle)
  );
  const groups: [string, string[]][] = [
    [
      trans.__('Metrics'),
      matching.filter(column => column.startsWith('metrics.'))
    ],
    [
      trans.__('Params'),
      matching.filter(column => column.startsWith('params.'))
    ]
  ];

  return (
    <div
      className="jp-Studio-columnChooser"
      ref={root}
      onKeyDown={event => {
        if (event.key === 'Escape') {
          setOpen(false);
        }
      }}
    >
      <button
        className="jp-Studio-toolbarButton"
        data-testid="studio-columns-button"
        aria-haspopup="true"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
      >
        {trans.__('Columns')} ▾
      </button>
      {open && (
        <div
          className="jp-Studio-columnMenu"
          role="dialog"
          aria-label={trans.__('Choose columns')}
        >
          <input
            type="text"
            className="jp-mod-styled jp-Studio-columnSearch"
            placeholder={trans.__('Find a param or metric')}
            aria-label={trans.__('Find a param or metric')}
            value={search}
            autoFocus
            onChange={event => setSearch(event.currentTarget.value)}
          />
          <div className="jp-Studio-columnOptions">
            {available.length === 0 && (
              <div className="jp-Studio-columnEmpty">
                {trans.__('No params or metrics yet.')}
              </div>
            )}
            {groups.map(([title, columns]) =>
              columns.length ? (
                <fieldset key={title} className="jp-Studio-columnGroup">
                  <legend>{title}</legend>
                  {columns.map(column => (
                    <label
                      key={column}
                      className="jp-Studio-columnOption"
                      title={
                        byFilter.has(column)
                          ? trans.__(
                              '%1: shown while the filter names it',
                              column
                            )
                          : column
                      }
                    >
                      <input
                        type="checkbox"
                        data-testid="studio-column-option"
                        data-column={column}
                        checked={shown.has(column) || byFilter.has(column)}
                        disabled={byFilter.has(column)}
                        onChange={event =>
                          props.onToggle(column, event.currentTarget.checked)
                        }
                      />
                      <span>{column.slice(column.indexOf('.') + 1)}</span>
                    </label>
                  ))}
                </fieldset>
              ) : null
            )}
          </div>
          <button
            className="jp-Studio-columnReset jp-mod-styled"
            onClick={props.onReset}
          >
            {trans.__('Default columns')}
          </button>
        </div>
      )}
    </div>
  );
}
