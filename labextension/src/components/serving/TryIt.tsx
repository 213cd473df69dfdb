/**
 * The endpoint panel's "try it" box: a request body (the input example until edited), the
 * variant asked for (X-Target-Variant), and the answer as the endpoint gave it, with its
 * X-Variant and X-Request-Id.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { Endpoint, IInvocationAnswer } from '../../api/serving';
import type { Transition } from '../../models/endpointModel';

/** The answer's headers, named as the endpoint sends them (not words to translate). */
const VARIANT_HEADER = 'X-Variant';
const REQUEST_ID_HEADER = 'X-Request-Id';

export interface ITryItProps {
  endpoint: Endpoint;
  running: boolean;
  transition: Transition;
  body: string;
  target: string;
  answer: IInvocationAnswer | null;
  invoking: boolean;
  trans: TranslationBundle;
  onBody: (text: string) => void;
  onTarget: (variant: string) => void;
  onInvoke: () => void;
}

export function TryIt(props: ITryItProps): JSX.Element {
  const { trans, endpoint, answer } = props;
  const targets = endpoint.variants.filter(
    variant => variant.role === 'primary'
  );
  return (
    <div className="jp-Studio-endpoint-tryIt" data-testid="studio-try-it">
      <textarea
        className="jp-Studio-endpoint-body"
        data-testid="studio-try-body"
        aria-label={trans.__('Request body (JSON or CSV)')}
        spellCheck={false}
        rows={8}
        value={props.body}
        onChange={event => props.onBody(event.target.value)}
      />
      <div className="jp-Studio-endpoint-tryBar">
        <label>
          {trans.__('Variant')}{' '}
          <select
            data-testid="studio-try-target"
            value={props.target}
            onChange={event => props.onTarget(event.target.value)}
          >
            <option value="">{trans.__('by weight')}</option>
            {targets.map(variant => (
              <option key={variant.name} value={variant.name}>
                {variant.name}
              </option>
            ))}
          </select>
        </label>
        <button
          className="jp-mod-styled jp-mod-accept"
          data-testid="studio-try-send"
          disabled={
            !props.running ||
            props.transition !== null ||
            props.invoking ||
            !props.body.trim()
          }
          title={props.running ? '' : trans.__('Start the endpoint first')}
          onClick={props.onInvoke}
        >
          {props.invoking ? trans.__('Sending…') : trans.__('Send')}
        </button>
      </div>
      {answer !== null && (
        <div
          className="jp-Studio-endpoint-answer"
          data-testid="studio-try-answer"
        >
          <div className="jp-Studio-endpoint-answerMeta">
            <span>
              {trans.__('HTTP')}{' '}
              <code data-testid="studio-try-status">{answer.status}</code>
            </span>
            <span>
              {`${VARIANT_HEADER}: `}
              <code data-testid="studio-try-variant">
                {answer.variant ?? '—'}
              </code>
            </span>
            <span>
              {`${REQUEST_ID_HEADER}: `}
              <code data-testid="studio-try-request-id">
                {answer.requestId ?? '—'}
              </code>
            </span>
          </div>
          <pre className="jp-Studio-endpoint-answerBody">
            {prettyJSON(answer.body)}
          </pre>
        </div>
      )}
    </div>
  );
}

/** An answer's body, indented when it is JSON. */
export function prettyJSON(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
