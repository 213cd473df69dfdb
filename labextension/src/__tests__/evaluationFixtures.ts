/**
 * A run's evaluations as the server answers them (EvaluationsOut): a 5-fold CV of a binary
 * classifier with thresholds (one met, one not) and a holdout of a regressor. The figures are
 * what studio/tracking/figures.py makes (template none, float32 arrays as base64 `bdata`) of a
 * logistic regression on 57 rows of breast cancer and a ridge on 45 rows of diabetes.
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
        colorscale: [
          [0.0, 'rgb(247,251,255)'],
          [0.125, 'rgb(222,235,247)'],
          [0.25, 'rgb(198,219,239)'],
          [0.375, 'rgb(158,202,225)'],
          [0.5, 'rgb(107,174,214)'],
          [0.625, 'rgb(66,146,198)'],
          [0.75, 'rgb(33,113,181)'],
          [0.875, 'rgb(8,81,156)'],
          [1.0, 'rgb(8,48,107)']
        ],
        hovertemplate: 'true %{y}<br>predicted %{x}<br>%{z}<extra></extra>',
        showscale: false,
        text: { dtype: 'i4', bdata: 'EwAAAAMAAAADAAAAIAAAAA==', shape: '2, 2' },
        texttemplate: '%{text}',
        x: ['0', '1'],
        y: ['0', '1'],
        z: { dtype: 'i4', bdata: 'EwAAAAMAAAADAAAAIAAAAA==', shape: '2, 2' },
        type: 'heatmap'
      }
    ],
    layout: {
      template: { data: { scatter: [{ type: 'scatter' }] } },
      xaxis: { title: { text: 'Predicted' }, type: 'category', side: 'bottom' },
      yaxis: {
        title: { text: 'True' },
        type: 'category',
        autorange: 'reversed'
      },
      title: { text: 'Confusion matrix' },
      margin: { l: 60, r: 20, t: 50, b: 50 }
    }
  },
  roc: {
    data: [
      {
        mode: 'lines',
        name: '1 (AUC 0.968)',
        x: {
          dtype: 'f4',
          bdata:
            'AAAAAAAAAAAAAAAAjC46PYwuOj2MLro9jC66PYwuOj6MLjo+L7poPi+6aD4AAIA/'
        },
        y: {
          dtype: 'f4',
          bdata:
            'AAAAAKEO6jwP6iA/D+ogP7dtWz+3bVs/oQ5qP6EOaj+Lr3g/i694PwAAgD8AAIA/'
        },
        type: 'scatter'
      },
      {
        hoverinfo: 'skip',
        line: { dash: 'dash', width: 1 },
        mode: 'lines',
        name: 'chance',
        x: [0, 1],
        y: [0, 1],
        type: 'scatter'
      }
    ],
    layout: {
      template: { data: { scatter: [{ type: 'scatter' }] } },
      xaxis: { title: { text: 'False positive rate' }, range: [0, 1] },
      yaxis: { title: { text: 'True positive rate' }, range: [0, 1.02] },
      title: { text: 'ROC curve' },
      margin: { l: 60, r: 20, t: 50, b: 50 }
    }
  },
  pr: {
    data: [
      {
        line: { shape: 'hv' },
        mode: 'lines',
        name: '1 (AP 0.979)',
        x: {
          dtype: 'f4',
          bdata:
            'AACAPwAAgD+Lr3g/i694PxZfcT+hDmo/oQ5qPyy+Yj+3bVs/t21bP0IdVD/NzEw/WHxFP+MrPj9u2zY/+YovP4Q6KD8P6iA/D+ogP5qZGT8lSRI/sPgKPzuoAz+Lr/g+oQ7qPrdt2z7NzMw+4yu+PvmKrz4P6qA+JUmSPjuogz6hDmo+zcxMPvmKLz4lSRI+oQ7qPfmKrz2hDmo9oQ7qPAAAAAA='
        },
        y: {
          dtype: 'f4',
          bdata:
            'ZzEdPwAAYD/zLV8/eQ1lPwdTZD85jmM/8fBwPx98cD8AAHA/7713P3d3dz8jLHc/btt2P76Edj9iJ3Y/j8J1P1VVdT+c3nQ/AACAPwAAgD8AAIA/AACAPwAAgD8AAIA/AACAPwAAgD8AAIA/AACAPwAAgD8AAIA/AACAPwAAgD8AAIA/AACAPwAAgD8AAIA/AACAPwAAgD8AAIA/AACAPwAAgD8='
        },
        type: 'scatter'
      }
    ],
    layout: {
      template: { data: { scatter: [{ type: 'scatter' }] } },
      xaxis: { title: { text: 'Recall' }, range: [0, 1] },
      yaxis: { title: { text: 'Precision' }, range: [0, 1.02] },
      title: { text: 'Precision-recall curve' },
      margin: { l: 60, r: 20, t: 50, b: 50 }
    }
  },
  calibration: {
    data: [
      {
        mode: 'lines+markers',
        name: '1',
        x: {
          dtype: 'f4',
          bdata: '02XHPLsmPz5Y94Q+sYi5Ppsk1j7kJgc/Nc8iP1p4Oz9IPlY/cll6Pw=='
        },
        y: {
          dtype: 'f4',
          bdata: 'AAAAAAAAAAAAAAA/AACAPwAAAAAAAAAAAACAPwAAQD8AAIA/j8J1Pw=='
        },
        type: 'scatter'
      },
      {
        hoverinfo: 'skip',
        line: { dash: 'dash', width: 1 },
        mode: 'lines',
        name: 'perfectly calibrated',
        x: [0, 1],
        y: [0, 1],
        type: 'scatter'
      }
    ],
    layout: {
      template: { data: { scatter: [{ type: 'scatter' }] } },
      xaxis: { title: { text: 'Predicted probability' }, range: [0, 1] },
      yaxis: { title: { text: 'Observed frequency' }, range: [0, 1] },
      title: { text: 'Calibration' },
      margin: { l: 60, r: 20, t: 50, b: 50 }
    }
  },
  permutation_importance: {
    data: [
      {
        error_x: {
          array: { dtype: 'f4', bdata: 'AAAAAAAAAAB/3SM9B33wPJArVT3+CSA9' },
          type: 'data',
          visible: true
        },
        hovertemplate: '%{y}: %{x:.4g}<extra></extra>',
        orientation: 'h',
        x: { dtype: 'f4', bdata: 'AAAAAAAAAAAkuA89JLgPPSS4jz2amRk/' },
        y: [
          'mean compactness',
          'mean smoothness',
          'mean area',
          'mean texture',
          'mean radius',
          'mean perimeter'
        ],
        type: 'bar'
      }
    ],
    layout: {
      template: { data: { scatter: [{ type: 'scatter' }] } },
      xaxis: { title: { text: 'Drop in accuracy when shuffled' } },
      yaxis: { type: 'category', automargin: true },
      title: { text: 'Permutation importance' },
      height: 300,
      margin: { l: 60, r: 20, t: 50, b: 50 }
    }
  }
};

export const REGRESSION_FIGURES: Evaluation['figures'] = {
  residuals: {
    data: [
      {
        hovertemplate: 'predicted %{x:.4g}<br>residual %{y:.4g}<extra></extra>',
        marker: { opacity: 0.6, size: 5 },
        mode: 'markers',
        name: 'residual',
        x: {
          dtype: 'f4',
          bdata:
            '035JQ4OGUEO0MiBD5xf+Ql5NIUMpC05D44jxQn7sMkMGNAhDlOA4Q+CxDkNOqjBDk/3rQlJGyUJAe1tD0eLeQj1tDkMHjrVCK4/NQr/YSkPtXSVDAusNQ+0wHUMtWQhDu240Q1liIEOzZwBD7lHRQm/YJkNlbSJDWZAtQ1lgz0LY4wVDUOEQQzh6HkPQJC5DPyMfQwj7L0PglAtDhvw3Q7IH1ULkqyhDBqAWQ3H8H0MLIjFD'
        },
        y: {
          dtype: 'f4',
          bdata:
            'WQLvQqkvz0DSygTCzy98wiAqW0Gu6YlCOe5oQglOVEI1f7lAKcGrwj+c2kJ0kyrAahMwQUoZ1cH+EjJCocV5wvO0YcI7cHzB1Mrjv/tiP8JeQpRA/hQGQ7XDPMKEWbK+dd3gwmaJAcKaPcvBbo86wYQ8wUFuSgZCnr4tQqefmkKfcAhCwXpcQh4XckJfttVC6jMCwfAJokLBKbXCmTdgQZI9KMHDQSVBF4Bewj4OGELru4VC'
        },
        type: 'scatter'
      },
      {
        hoverinfo: 'skip',
        line: { dash: 'dash', width: 1 },
        mode: 'lines',
        name: 'zero',
        x: [90.77740028316674, 219.4814528397141],
        y: [0, 0],
        type: 'scatter'
      }
    ],
    layout: {
      template: { data: { scatter: [{ type: 'scatter' }] } },
      xaxis: { title: { text: 'Predicted' } },
      yaxis: { title: { text: 'True - predicted' } },
      title: { text: 'Residuals' },
      showlegend: false,
      margin: { l: 60, r: 20, t: 50, b: 50 }
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
