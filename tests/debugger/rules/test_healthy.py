"""Realistic healthy trainings under the default rules: no finding.

The planted-pathology tests (test_pathologies.py, test_sklearn_rules.py) show that each rule
fires; these show that the rules stay quiet on trainings a practitioner would call healthy,
noisy minibatch losses included: plain minibatch SGD on load_digits saved at every step and
every 5 steps, with an evaluation pass per epoch, and scikit-learn's MLPClassifier (its
default learning rate, with validation data), GradientBoosting and a logistic SGDClassifier.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits, make_classification
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import SGDClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from studio.debugger import TorchHook, rules, watch  # noqa: E402

if TYPE_CHECKING:
    from studio.debugger.entities import Finding

Data = tuple[Any, Any]


@pytest.fixture(scope="module", autouse=True)
def _one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def digits() -> tuple[Data, Data]:
    """load_digits standardised: 1500 rows to train on, 297 to validate with."""
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    order = np.random.default_rng(0).permutation(len(X))
    return (X[order[:1500]], y[order[:1500]]), (X[order[1500:]], y[order[1500:]])


def _messages(findings: list[Finding]) -> list[str]:
    return [f"{f.rule} at {f.mode} step {f.step}: {f.message}" for f in findings]


def sgd_on_digits(train: Data, validation: Data, every: int, epochs: int = 8) -> list[Finding]:
    """A 64-64-10 ReLU MLP, plain SGD (lr 0.05), shuffled batches of 64, the validation
    loss once an epoch."""
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    inputs, labels = (torch.tensor(a) for a in train)
    inputs = inputs.float()
    valid_inputs, valid_labels = torch.tensor(validation[0]).float(), torch.tensor(validation[1])
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    loss_fn = nn.CrossEntropyLoss()
    with TorchHook(model, optimizer=optimizer, every=every, rules=rules.default_rules()) as hook:
        for _ in range(epochs):
            for batch in torch.randperm(len(inputs), generator=generator).split(64):
                scores = model(inputs[batch])
                loss = loss_fn(scores, labels[batch])
                hook.record_loss(loss)
                hook.record_batch(labels=labels[batch], predictions=scores)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            hook.set_mode("eval")
            with torch.no_grad():
                scores = model(valid_inputs)
                hook.record_loss(loss_fn(scores, valid_labels))
                hook.record_batch(labels=valid_labels, predictions=scores)
            hook.set_mode("train")
    return hook.findings


@pytest.mark.parametrize("every", [1, 5])
def test_minibatch_sgd_on_digits_records_no_finding(every: int, digits: tuple[Data, Data]) -> None:
    findings = sgd_on_digits(*digits, every=every)
    assert findings == [], _messages(findings)


def test_an_mlp_classifier_with_validation_data_records_no_finding(
    digits: tuple[Data, Data],
) -> None:
    (X, y), validation = digits
    estimator = MLPClassifier(hidden_layer_sizes=(64,), random_state=0)
    result = watch(estimator, X, y, epochs=20, validation_data=validation, display=False)
    assert result.history["val_score"][-1] > 0.9
    assert result.findings == [], _messages(result.findings)


def test_gradient_boosting_on_breast_cancer_records_no_finding() -> None:
    X, y = load_breast_cancer(return_X_y=True)
    result = watch(GradientBoostingClassifier(random_state=0), X, y, display=False)
    assert result.findings == [], _messages(result.findings)


def test_a_logistic_sgd_classifier_with_validation_data_records_no_finding() -> None:
    X, y = make_classification(n_samples=3000, n_features=20, random_state=1)
    X = StandardScaler().fit_transform(X)
    estimator = SGDClassifier(loss="log_loss", random_state=0)
    result = watch(
        estimator,
        X[:2000],
        y[:2000],
        epochs=10,
        validation_data=(X[2000:], y[2000:]),
        display=False,
    )
    assert result.findings == [], _messages(result.findings)
