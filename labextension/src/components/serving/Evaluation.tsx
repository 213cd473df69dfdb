/**
 * The endpoint panel's online evaluation: each variant's labelled count and metric, and each
 * comparison's verdict, which names a winner only when the test is significant and decided.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { Comparison, OnlineEvaluation } from '../../api/serving';

/** What a comparison says: the winner only when the test is significant and decided. */
export function verdict(
  comparison: Comparison,
  trans: TranslationBundle
): string {
  if (comparison.significant && comparison.decided && comparison.winner) {
    const loser =
      comparison.winner === comparison.challenger
        ? comparison.control
        : comparison.challenger;
    return trans.__(
      '%1 beats %2 (p = %3)',
      comparison.winner,
      loser,
      formatP(comparison.p_value)
    );
  }
  if (
    comparison.traffic_still_needed !== null &&
    comparison.traffic_still_needed > 0
  ) {
    return trans.__(
      'not yet conclusive: ~%1 more labelled requests',
      comparison.traffic_still_needed.toLocaleString()
    );
  }
  return trans.__('not yet conclusive');
}

function formatP(p: number | null): string {
  if (p === null || !Number.isFinite(p)) {
    return '—';
  }
  return p < 0.001 ? p.toExponential(1) : p.toFixed(3);
}

export function Evaluation(props: {
  evaluation: OnlineEvaluation | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans, evaluation } = props;
  const variants = Object.entries(evaluation?.variants ?? {});
  if (evaluation === null || variants.length === 0) {
    return (
      <p className="jp-Studio-endpoint-muted" data-testid="studio-evaluation">
        {trans.__(
          'No labelled request yet: POST /feedback with a request id and its true label.'
        )}
      </p>
    );
  }
  return (
    <div data-testid="studio-evaluation">
      <table className="jp-Studio-endpoint-table">
        <thead>
          <tr>
            <th>{trans.__('Variant')}</th>
            <th>{trans.__('Labelled')}</th>
            <th>{evaluation.metric}</th>
          </tr>
        </thead>
        <tbody>
          {variants.map(([name, row]) => (
            <tr key={name} data-variant={name}>
              <td>
                {name}
                {row.shadow && (
                  <span className="jp-Studio-endpoint-tag">
                    {trans.__('shadow')}
                  </span>
                )}
              </td>
              <td>{row.n}</td>
              <td>{row.value === null ? '—' : row.value.toFixed(3)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {evaluation.comparisons.map(comparison => {
        const decided =
          comparison.significant &&
          comparison.decided &&
          comparison.winner !== null;
        return (
          <p
            key={`${comparison.control}:${comparison.challenger}`}
            className={`jp-Studio-endpoint-verdict${decided ? ' jp-mod-decided' : ''}`}
            data-testid="studio-verdict"
            data-decided={String(decided)}
          >
            <strong>{verdict(comparison, trans)}</strong>
            <span className="jp-Studio-endpoint-muted">
              {trans.__(
                '%1 against %2 · %3 · p = %4',
                comparison.challenger,
                comparison.control,
                comparison.test,
                formatP(comparison.p_value)
              )}
            </span>
          </p>
        );
      })}
    </div>
  );
}
