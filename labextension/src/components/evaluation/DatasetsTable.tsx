/**
 * The datasets a run trained and was evaluated on (its `studio.datasets` tag, which autolog and
 * `studio.evaluate` write): name, what the run did with it, shape and digest. Pure: props in.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { IDatasetInput } from '../../api/evaluation';

function shapeText(dataset: IDatasetInput): string {
  const rows = dataset.rows === null ? '?' : String(dataset.rows);
  const columns = dataset.columns === null ? '?' : String(dataset.columns);
  return `${rows} × ${columns}`;
}

export function DatasetsTable(props: {
  datasets: readonly IDatasetInput[];
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  return (
    <table
      className="jp-Studio-evalTable jp-Studio-datasetsTable"
      data-testid="studio-datasets"
    >
      <thead>
        <tr>
          <th scope="col">{trans.__('Name')}</th>
          <th scope="col">{trans.__('Context')}</th>
          <th scope="col" title={trans.__('rows × columns')}>
            {trans.__('Shape')}
          </th>
          <th scope="col">{trans.__('Digest')}</th>
        </tr>
      </thead>
      <tbody>
        {props.datasets.map(dataset => (
          <tr
            key={`${dataset.context}/${dataset.digest}/${dataset.name}`}
            data-context={dataset.context}
            data-digest={dataset.digest}
          >
            <th scope="row">{dataset.name || '—'}</th>
            <td>
              <span
                className={`jp-Studio-datasetContext jp-Studio-datasetContext-${dataset.context}`}
              >
                {dataset.context}
              </span>
            </td>
            <td>{shapeText(dataset)}</td>
            <td>
              <code>{dataset.digest}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
