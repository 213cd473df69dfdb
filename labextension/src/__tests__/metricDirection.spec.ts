import { guessDirection, metricWords } from '../metricDirection';

describe('guessDirection', () => {
  it.each([
    // Losses and errors, as whole words anywhere in the name.
    ['loss', 'min'],
    ['val_loss', 'min'],
    ['train/loss', 'min'],
    ['log_loss', 'min'],
    ['valLoss', 'min'],
    ['error_rate', 'min'],
    ['mean_squared_error', 'min'],
    ['mse', 'min'],
    ['rmse', 'min'],
    ['train/rmse', 'min'],
    ['mae', 'min'],
    ['val.MAE', 'min'],
    ['losses', 'min'],
    // scikit-learn's search results: spreads, ranks and times are better small.
    ['std_test_score', 'min'],
    ['std_train_score', 'min'],
    ['mean_fit_time', 'min'],
    ['std_score_time', 'min'],
    ['rank_test_score', 'min'],
    ['rank_test_neg_log_loss', 'min'],
    ['std_test_neg_mean_squared_error', 'min'],
    // Negated scorers are better high, although they name an error or a loss.
    ['neg_mean_squared_error', 'max'],
    ['neg_log_loss', 'max'],
    ['mean_test_neg_root_mean_squared_error', 'max'],
    // Everything else is better high.
    ['accuracy', 'max'],
    ['f1', 'max'],
    ['r2', 'max'],
    ['mean_test_score', 'max'],
    ['test_score', 'max'],
    // Whole words, not substrings.
    ['lossless', 'max'],
    ['lossless_ratio', 'max'],
    ['timeline', 'max'],
    ['time_to_first_token_ratio', 'max'],
    ['errorless', 'max'],
    ['standard_score', 'max'],
    ['ranking_ndcg', 'max'],
    ['negative_samples', 'max'],
    ['', 'max']
  ])('%j: %s is better', (name, expected) => {
    expect(guessDirection(name)).toBe(expected);
  });
});

describe('metricWords', () => {
  it('splits on anything but letters and digits, and on camelCase', () => {
    expect(metricWords('std_test_score')).toEqual(['std', 'test', 'score']);
    expect(metricWords('train/loss')).toEqual(['train', 'loss']);
    expect(metricWords('val.top-5 accuracy')).toEqual([
      'val',
      'top',
      '5',
      'accuracy'
    ]);
    expect(metricWords('valLoss')).toEqual(['val', 'loss']);
    expect(metricWords('__loss__')).toEqual(['loss']);
  });
});
