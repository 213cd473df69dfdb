"""Evaluation, built-in algorithms and AutoML.

- `studio.evaluate(model, X, y, ...)` (`evaluate.py`): holdout, k-fold or test-set evaluation
  with a baseline, thresholds and plotly figures, logged to a run.
- Built-in algorithms (`catalogue.py`, `training.py`): a catalogue of scikit-learn (and, where
  installed, LightGBM and XGBoost) algorithms trained from a template notebook run as a job.
- `studio.automl(data, target, ...)` (`automl.py`): an Optuna search over preprocessing
  pipelines and algorithms, with generated exploration and candidate notebooks.
"""
