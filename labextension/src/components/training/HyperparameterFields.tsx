/**
 * An algorithm's hyperparameters as a form: a field per hyperparameter with its default, its
 * range and its help, and the problem of a value outside the range. Pure.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { Algorithm, Hyperparameter } from '../../api/training';
import { hyperparameterText, rangeText } from '../../models/trainForm';

export interface IHyperparameterFieldsProps {
  algorithm: Algorithm;
  texts: Record<string, string>;
  /** The problem of each value, by name. */
  problems: Record<string, string>;
  trans: TranslationBundle;
  onChange: (name: string, text: string) => void;
}

export function HyperparameterFields(
  props: IHyperparameterFieldsProps
): JSX.Element {
  const { algorithm, trans } = props;
  if (algorithm.hyperparameters.length === 0) {
    return (
      <p className="jp-Studio-jobForm-muted">
        {trans.__('No hyperparameters to set.')}
      </p>
    );
  }
  return (
    <div className="jp-Studio-trainForm-hyperparameters">
      {algorithm.hyperparameters.map(hp => (
        <Field
          key={hp.name}
          hp={hp}
          text={props.texts[hp.name] ?? hyperparameterText(hp.default)}
          problem={props.problems[hp.name] ?? null}
          trans={trans}
          onChange={text => props.onChange(hp.name, text)}
        />
      ))}
    </div>
  );
}

function Field(props: {
  hp: Hyperparameter;
  text: string;
  problem: string | null;
  trans: TranslationBundle;
  onChange: (text: string) => void;
}): JSX.Element {
  const { hp, text, trans } = props;
  const testId = `studio-train-hp-${hp.name}`;
  let input: JSX.Element;
  if (hp.kind === 'choice' || hp.kind === 'bool') {
    const choices =
      hp.kind === 'bool'
        ? ['true', 'false']
        : (hp.choices ?? []).map(hyperparameterText);
    input = (
      <select
        className="jp-mod-styled"
        data-testid={testId}
        value={text}
        onChange={event => props.onChange(event.target.value)}
      >
        {choices.map(choice => (
          <option key={choice} value={choice}>
            {choice === '' ? trans.__('None') : choice}
          </option>
        ))}
      </select>
    );
  } else {
    input = (
      <input
        className={`jp-mod-styled${props.problem ? ' jp-mod-invalid' : ''}`}
        data-testid={testId}
        inputMode={hp.kind === 'int' ? 'numeric' : 'decimal'}
        placeholder={hp.nullable ? trans.__('None') : ''}
        aria-invalid={props.problem !== null}
        value={text}
        onChange={event => props.onChange(event.target.value)}
      />
    );
  }
  const range = rangeText(hp);
  return (
    <label className="jp-Studio-trainForm-hyperparameter" title={hp.help}>
      <span>{hp.name}</span>
      {input}
      <span className="jp-Studio-jobForm-muted">
        {[
          range,
          hp.log ? trans.__('log scale') : '',
          trans.__(
            'default %1',
            hyperparameterText(hp.default) || trans.__('None')
          )
        ]
          .filter(Boolean)
          .join(' · ')}
      </span>
      {props.problem && (
        <span className="jp-Studio-jobForm-error" role="alert">
          {props.problem}
        </span>
      )}
    </label>
  );
}
