/**
 * A run's evaluations as the server answers them (EvaluationsOut): a 5-fold CV of a binary
 * classifier with thresholds (one met, one not) and a holdout of a regressor. The figures are
 * plotly 7's JSON of figures made as studio/tracking/figures.py makes them (template none,
 * float32 arrays as base64 `bdata`), on breast cancer and diabetes.
 */
import type {
  Evaluation,
  EvaluationList,
  IEvaluationAPI
} from '../api/evaluation';

export const CLASSIFICATION_FIGURES: Evaluation['figures'] = {
  confusion_matrix: {
    data: [
      {
        text: { dtype: 'i1', bdata: 'LgEFPg==', shape: '2, 2' },
        texttemplate: '%{text}',
        x: ['0', '1'],
        y: ['0', '1'],
        z: { dtype: 'i1', bdata: 'LgEFPg==', shape: '2, 2' },
        type: 'heatmap'
      }
    ],
    layout: {
      title: { text: 'Confusion matrix' },
      xaxis: { title: { text: 'Predicted' } },
      yaxis: { autorange: 'reversed', title: { text: 'True' } },
      template: { data: { scatter: [{ type: 'scatter' }] } }
    }
  },
  roc: {
    data: [
      {
        mode: 'lines',
        name: '1',
        x: {
          dtype: 'f4',
          bdata: 'AAAAAAAAAAAAAAAAQUyuPEFMrjwxuYI9MbmCPTG5Aj4xuQI+AACAPw=='
        },
        y: {
          dtype: 'f4',
          bdata: 'AAAAAI2JdDyonF0/qJxdP2e3cD9nt3A/2i18P9otfD8AAIA/AACAPw=='
        },
        type: 'scatter'
      },
      {
        line: { dash: 'dash' },
        mode: 'lines',
        name: 'chance',
        x: [0, 1],
        y: [0, 1],
        type: 'scatter'
      }
    ],
    layout: {
      title: { text: 'ROC' },
      xaxis: { title: { text: 'False positive rate' } },
      yaxis: { title: { text: 'True positive rate' } },
      template: { data: { scatter: [{ type: 'scatter' }] } }
    }
  },
  calibration: {
    data: [
      {
        mode: 'lines+markers',
        name: 'model',
        x: {
          dtype: 'f4',
          bdata: 'z1nFO5if+z13HIo+iGu8Pv5h1j7dsy0/LC5EP8LtUj/zCn4/'
        },
        y: {
          dtype: 'f4',
          bdata: 'AAAAAAAAgD4AAEA/AAAAAAAAgD8AAIA/q6oqPwAAgD8AAIA/'
        },
        type: 'scatter'
      },
      {
        line: { dash: 'dash' },
        mode: 'lines',
        name: 'perfect',
        x: [0, 1],
        y: [0, 1],
        type: 'scatter'
      }
    ],
    layout: { template: { data: { scatter: [{ type: 'scatter' }] } } }
  },
  permutation_importance: {
    data: [
      {
        error_x: {
          array: { dtype: 'f4', bdata: '5IsAPJJ2LDwvOVM8pJonPPwEsDw=' }
        },
        orientation: 'h',
        x: { dtype: 'f4', bdata: 'JLiPPZZtvj1L0UM+n1tiPuospj4=' },
        y: [
          'mean area',
          'worst texture',
          'mean perimeter',
          'worst area',
          'worst perimeter'
        ],
        type: 'bar'
      }
    ],
    layout: { template: { data: { scatter: [{ type: 'scatter' }] } } }
  }
};

export const REGRESSION_FIGURES: Evaluation['figures'] = {
  residuals: {
    data: [
      {
        mode: 'markers',
        x: {
          dtype: 'f4',
          bdata:
            'RDFKQ0xJT0PU2SFDLiYBQ240IEO+6U5DaUzzQp3eMkNYJgtDoBw6Q82iEkM5LjJDyS71Qmay0kIQ3FpDLYjiQvkqD0NfvbhCxFXTQnmiSEPVaihDABUQQ2YXHkNmpgtDiuU1QwfVH0NwqflCYljUQn4gJkM4XiNDJJErQzbr00LC+AdDZCERQxVJHEOXYC5DKMAfQ5vXMUNxOwtDDAs3Qw=='
        },
        y: {
          dtype: 'f4',
          bdata:
            'eZ3tQo3W9kBQZwvCW0yCwiS5bEGELIhCLmdlQo2FVELtaTZAPzmuwma60kIgx4XAcxPNQJnJ+sG+jzRCLYiAwuarZMJ99YrBQlyVwOOJNsKDlco/AOsDQ5ldQMJ5mWnAFcvjwjao/sHCpa7BEMNSwRL8xkEehwJCb7s1QsoUlkL3HABCcnpbQqvbekLRPtVCewIMwctQnkLidrTCO09vQQ=='
        },
        type: 'scatter'
      }
    ],
    layout: {
      xaxis: { title: { text: 'Predicted' } },
      yaxis: { title: { text: 'Residual' } },
      template: { data: { scatter: [{ type: 'scatter' }] } }
    }
  }
};
const FOLD_ACCURACY = [0.93, 0.95, 0.96, 0.94, 0.97];

export function cvEvaluation(change: Partial<Evaluation> = {}): Evaluation {
  return {
    label: 'cv',
    task: 'binary',
    validation: '5-fold CV',
    model: 'LogisticRegression',
    rows: 569,
    metrics: { accuracy: 0.95, roc_auc: 0.991, log_loss: 0.1234 },
    std: { accuracy: 0.0158, roc_auc: 0.004, log_loss: 0.02 },
    baseline: { accuracy: 0.6274, roc_auc: 0.5, log_loss: 0.6607 },
    baseline_model: "DummyClassifier(strategy='prior')",
    folds: FOLD_ACCURACY.map((accuracy, fold) => ({
      fold,
      metrics: { accuracy, roc_auc: 0.99, log_loss: 0.12 }
    })),
    thresholds: [
      { metric: 'accuracy', condition: '>= 0.9', value: 0.95, passed: true },
      { metric: 'roc_auc', condition: '>= 0.995', value: 0.991, passed: false }
    ],
    passed: false,
    figures: CLASSIFICATION_FIGURES,
    created_at: 1_780_000_000_000,
    ...change
  };
}

export function holdoutEvaluation(
  change: Partial<Evaluation> = {}
): Evaluation {
  return {
    label: 'holdout',
    task: 'regression',
    validation: 'holdout 20%',
    model: 'Ridge',
    rows: 89,
    metrics: { mae: 46.17, rmse: 57.81, r2: 0.3931, mape: 0.3958 },
    std: {},
    baseline: { mae: 64.01, rmse: 75.36, r2: -0.0086, mape: 0.6125 },
    baseline_model: "DummyRegressor(strategy='mean')",
    folds: [],
    thresholds: [],
    passed: null,
    figures: REGRESSION_FIGURES,
    created_at: 1_780_000_100_000,
    ...change
  };
}

/** An evaluation API in memory, answering `evaluations` per run, that records its calls. */
export class FakeEvaluationAPI implements IEvaluationAPI {
  constructor(public evaluations: Record<string, Evaluation[]> = {}) {}

  readonly calls: string[] = [];
  /** The next call fails with this message, once. */
  failNext: string | null = null;

  async getEvaluations(runId: string): Promise<EvaluationList> {
    this.calls.push(runId);
    if (this.failNext !== null) {
      const error = new Error(this.failNext);
      this.failNext = null;
      throw error;
    }
    return { run_id: runId, evaluations: this.evaluations[runId] ?? [] };
  }
}
