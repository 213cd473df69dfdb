/**
 * The runs filter: an expression of the filter language, applied on Enter, with the server's
 * error shown under it.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

export interface IFilterBoxProps {
  /** The filter applied now; the box shows it again when it changes. */
  value: string;
  /** Why the last filter tried was refused, or null. */
  error: string | null;
  trans: TranslationBundle;
  onApply: (text: string) => void;
}

export function FilterBox(props: IFilterBoxProps): JSX.Element {
  const { value, error, trans } = props;
  const [draft, setDraft] = React.useState(value);
  React.useEffect(() => setDraft(value), [value]);
  const errorId = React.useId();

  return (
    <div className="jp-Studio-filterBox">
      <div className="jp-Studio-filterInputRow">
        <input
          type="text"
          className={`jp-Studio-filterInput jp-mod-styled${error ? ' jp-mod-error' : ''}`}
          data-testid="studio-runs-filter"
          placeholder={trans.__(
            "Filter, e.g. metrics.accuracy > 0.9 and params.max_depth = '3'"
          )}
          aria-label={trans.__('Filter runs')}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? errorId : undefined}
          spellCheck={false}
          value={draft}
          onChange={event => setDraft(event.currentTarget.value)}
          onKeyDown={event => {
            if (event.key === 'Enter') {
              event.preventDefault();
              props.onApply(draft);
            } else if (event.key === 'Escape') {
              setDraft(value);
            }
          }}
        />
      </div>
      {error && (
        <div
          id={errorId}
          className="jp-Studio-filterError"
          data-testid="studio-filter-error"
          role="alert"
        >
          {error}
        </div>
      )}
    </div>
  );
}
