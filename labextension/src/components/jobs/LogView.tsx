/**
 * A job run's log as plain text, kept scrolled to its end while it grows (unless the user
 * scrolled up to read).
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

export interface ILogViewProps {
  text: string;
  done: boolean;
  loaded: boolean;
  error: string | null;
  trans: TranslationBundle;
}

/** Within this many pixels of the end counts as "at the end" (the view then follows). */
const FOLLOW_SLACK_PX = 24;

export function LogView(props: ILogViewProps): JSX.Element {
  const { trans } = props;
  const ref = React.useRef<HTMLPreElement>(null);
  const follow = React.useRef(true);
  React.useLayoutEffect(() => {
    const node = ref.current;
    if (node && follow.current) {
      node.scrollTop = node.scrollHeight;
    }
  }, [props.text]);
  return (
    <div className="jp-Studio-jobLog" data-done={String(props.done)}>
      <div className="jp-Studio-jobLog-status">
        {props.error !== null
          ? trans.__('The log could not be read: %1', props.error)
          : !props.loaded
            ? trans.__('Loading…')
            : props.done
              ? trans.__('The run ended.')
              : trans.__('Following the log while the run goes on…')}
      </div>
      <pre
        ref={ref}
        className="jp-Studio-jobLog-text"
        data-testid="studio-job-log"
        onScroll={event => {
          const node = event.currentTarget;
          follow.current =
            node.scrollHeight - node.scrollTop - node.clientHeight <
            FOLLOW_SLACK_PX;
        }}
      >
        {props.text || (props.loaded ? trans.__('(empty)') : '')}
      </pre>
    </div>
  );
}
