"""Write tests/fixtures/metrics.json: seeded metric inputs with scikit-learn and SciPy results.

src/metrics/reference_tests.rs checks every Rust metric against this file. An expected
value of null means that the Rust metric must return `Undefined`. The note beside it
records what scikit-learn or SciPy did instead (raised, returned NaN, or returned a value
that raydino-bench treats as undefined).

Run from the repository root:

    .venv/bin/python tests/reference/make_metric_fixtures.py
"""

from __future__ import annotations

import json
import platform
import warnings
from pathlib import Path

import numpy as np
import scipy
import sklearn
from scipy.stats import pearsonr
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    mean_absolute_error,
    roc_auc_score,
    roc_curve,
)

SEED = 20250117
OUTPUT = Path(__file__).resolve().parents[1] / "fixtures" / "metrics.json"
# ROC curves are stored only up to this many samples, to keep the file small.
MAX_ROC_CURVE_SAMPLES = 300
MAX_OUTPUT_BYTES = 500_000


def call_reference(function, *args, **kwargs):
    """Call a reference metric and return (value, note).

    value is None when the call raises or returns NaN. note contains the error or the
    warnings, and is None when there were none.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = function(*args, **kwargs)
        except ValueError as error:
            return None, f"raises ValueError: {error}"
    messages = "; ".join(dict.fromkeys(str(warning.message) for warning in caught))
    if np.isnan(result):
        return None, f"returns nan (warning: {messages})"
    return float(result), messages or None


def binary_inputs(rng: np.random.Generator) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Return (name, labels, scores) for the binary cases."""
    cases = []
    for size in [2, 3, 5, 10, 50, 200, 1000, 3000]:
        labels = rng.random(size) < 0.4
        labels[0] = True
        labels[-1] = False
        scores = np.round(rng.normal(size=size) + 0.8 * labels, 4)
        cases.append((f"continuous n={size}", labels, scores))
    for size in [10, 200, 2500]:
        labels = rng.random(size) < 0.5
        scores = np.round(rng.normal(size=size) + labels, 0)
        cases.append((f"heavy ties n={size}", labels, scores))
    for size in [4, 300]:
        labels = rng.random(size) < 0.3
        labels[:2] = [True, False]
        cases.append((f"all scores equal n={size}", labels, np.full(size, 0.25)))

    labels = np.zeros(1000, dtype=bool)
    labels[rng.integers(1000)] = True
    cases.append(("one positive of 1000", labels, np.round(rng.random(1000), 4)))
    labels = np.arange(40) < 20
    cases.append(("perfect separation", labels, np.round(np.linspace(1.0, 0.0, 40), 4)))
    cases.append(("reversed separation", labels, np.round(np.linspace(0.0, 1.0, 40), 4)))
    labels = rng.random(150) < 0.5
    scores = np.round(rng.normal(scale=1e6, size=150), 1)
    cases.append(("decision values of large magnitude", labels, scores))

    cases.append(("single sample positive", np.array([True]), np.array([0.7])))
    cases.append(("single sample negative", np.array([False]), np.array([0.7])))
    cases.append(("all negative n=12", np.zeros(12, dtype=bool), np.round(rng.random(12), 4)))
    cases.append(("all positive n=30", np.ones(30, dtype=bool), np.round(rng.random(30), 4)))
    return cases


def binary_case(name: str, labels: np.ndarray, scores: np.ndarray) -> dict:
    case: dict = {
        "name": name,
        "labels": labels.astype(int).tolist(),
        "scores": scores.tolist(),
        "notes": {},
    }
    case["auroc"], note = call_reference(roc_auc_score, labels, scores)
    if note:
        case["notes"]["auroc"] = note

    value, note = call_reference(average_precision_score, labels, scores)
    if not labels.any():
        # scikit-learn warns and returns 0.0 here, but AP has no positive to rank.
        note = f"scikit-learn returns {value} and warns '{note}'; raydino-bench treats this as undefined"
        value = None
    case["average_precision"] = value
    if note:
        case["notes"]["average_precision"] = note

    if len(labels) <= MAX_ROC_CURVE_SAMPLES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fpr, tpr, thresholds = roc_curve(labels, scores, drop_intermediate=False)
        if np.isnan(fpr).any() or np.isnan(tpr).any():
            case["roc_curve"] = {"defined": False}
            case["notes"]["roc_curve"] = "returns nan rates because only one class is present"
        else:
            assert thresholds[0] == np.inf, "expected the first threshold to be +inf"
            case["roc_curve"] = {
                "defined": True,
                "fpr": fpr.tolist(),
                "tpr": tpr.tolist(),
                "thresholds_after_inf": thresholds[1:].tolist(),
            }
    if not case["notes"]:
        del case["notes"]
    return case


def probabilities(rng: np.random.Generator, labels: np.ndarray, n_classes: int, decimals: int) -> np.ndarray:
    """Return rows of class probabilities, rounded, that sum to 1 within float rounding.

    The first columns are rounded down so that the last column (1 minus their sum) is
    never negative. scikit-learn rejects rows that are not close to summing to 1.
    """
    logits = rng.normal(size=(len(labels), n_classes))
    logits[np.arange(len(labels)), labels] += 1.0
    softmax = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    scale = 10**decimals
    rows = np.floor(softmax[:, :-1] * scale) / scale
    last = np.round(1.0 - rows.sum(axis=1, keepdims=True), decimals)
    return np.hstack([rows, last])


def multiclass_inputs(rng: np.random.Generator) -> list[tuple[str, np.ndarray, np.ndarray, int]]:
    """Return (name, y_true, probabilities, n_classes) for the multiclass cases."""
    cases = []
    for n_classes, size in [(3, 6), (3, 60), (4, 400), (5, 1000)]:
        y_true = rng.integers(n_classes, size=size)
        y_true[:n_classes] = np.arange(n_classes)
        proba = probabilities(rng, y_true, n_classes, decimals=3)
        cases.append((f"{n_classes} classes n={size}", y_true, proba, n_classes))
    y_true = rng.integers(4, size=300)
    y_true[:4] = np.arange(4)
    cases.append(("4 classes coarse ties n=300", y_true, probabilities(rng, y_true, 4, decimals=1), 4))
    y_true = np.arange(5)
    cases.append(("5 classes one sample each", y_true, probabilities(rng, y_true, 5, decimals=3), 5))
    y_true = rng.integers(2, size=50)
    y_true[:2] = [0, 1]
    cases.append(("3 classes, class 2 absent", y_true, probabilities(rng, y_true, 3, decimals=3), 3))
    y_true = np.zeros(20, dtype=int)
    cases.append(("4 classes, only class 0", y_true, probabilities(rng, y_true, 4, decimals=3), 4))
    return cases


def multiclass_case(name: str, y_true: np.ndarray, proba: np.ndarray, n_classes: int) -> dict:
    case: dict = {
        "name": name,
        "n_classes": n_classes,
        "y_true": y_true.tolist(),
        "scores": proba.ravel().tolist(),
        "notes": {},
    }
    per_class_auroc = []
    per_class_ap = []
    for class_index in range(n_classes):
        is_class = y_true == class_index
        value, _ = call_reference(roc_auc_score, is_class, proba[:, class_index])
        per_class_auroc.append(value)
        value, _ = call_reference(average_precision_score, is_class, proba[:, class_index])
        per_class_ap.append(value if is_class.any() else None)
    case["per_class_auroc"] = per_class_auroc
    case["per_class_average_precision"] = per_class_ap

    value, note = call_reference(
        roc_auc_score, y_true, proba, multi_class="ovr", average="macro", labels=list(range(n_classes))
    )
    case["macro_auroc_ovr"] = value
    if note:
        case["notes"]["macro_auroc_ovr"] = note
    if value is not None:
        assert abs(value - np.mean(per_class_auroc)) < 1e-12, f"{name}: macro AUROC is not the class mean"

    if len(np.unique(y_true)) == n_classes:
        value, note = call_reference(average_precision_score, y_true, proba, average="macro")
        assert abs(value - np.mean(per_class_ap)) < 1e-12, f"{name}: macro AP is not the class mean"
    else:
        value = None
        note = "scikit-learn raises a shape error because a class is absent from y_true"
    case["macro_average_precision_ovr"] = value
    if note:
        case["notes"]["macro_average_precision_ovr"] = note

    if not case["notes"]:
        del case["notes"]
    return case


def label_cases(rng: np.random.Generator) -> list[dict]:
    inputs = []
    for n_classes, size in [(2, 10), (2, 500), (3, 40), (4, 1000), (5, 3000)]:
        y_true = rng.integers(n_classes, size=size)
        correct = rng.random(size) < 0.6
        y_pred = np.where(correct, y_true, rng.integers(n_classes, size=size))
        inputs.append((f"{n_classes} classes n={size}", y_true, y_pred))
    y_true = rng.integers(3, size=80)
    y_pred = np.where(rng.random(80) < 0.5, y_true, 4)
    inputs.append(("class 4 only predicted", y_true, y_pred))
    y_true = np.where(rng.random(200) < 0.05, 1, 0)
    inputs.append(("imbalanced, always predicts 0", y_true, np.zeros(200, dtype=int)))
    inputs.append(("single class", np.full(7, 2), np.array([2, 2, 0, 2, 1, 2, 2])))
    inputs.append(("single sample", np.array([3]), np.array([1])))

    cases = []
    for name, y_true, y_pred in inputs:
        case = {"name": name, "y_true": y_true.tolist(), "y_pred": y_pred.tolist()}
        case["accuracy"], _ = call_reference(accuracy_score, y_true, y_pred)
        case["balanced_accuracy"], _ = call_reference(balanced_accuracy_score, y_true, y_pred)
        cases.append(case)
    return cases


def regression_cases(rng: np.random.Generator) -> list[dict]:
    inputs = []
    for size in [2, 3, 10, 100, 1000, 3000]:
        x = np.round(rng.normal(size=size), 4)
        y = np.round(0.5 * x + rng.normal(size=size), 4)
        inputs.append((f"correlated n={size}", x, y))
    x = np.round(rng.normal(size=200), 4)
    inputs.append(("negative correlation", x, np.round(-2.0 * x + 0.1 * rng.normal(size=200), 4)))
    x = np.round(1e6 + rng.normal(size=300), 4)
    inputs.append(("large offset", x, np.round(x - 1e6 + rng.normal(size=300), 4)))
    x = np.round(rng.integers(0, 3, size=100).astype(float), 0)
    inputs.append(("integer values with ties", x, np.round(x + rng.integers(0, 2, size=100), 0)))
    inputs.append(("constant x", np.full(25, 1.5), np.round(rng.normal(size=25), 4)))
    inputs.append(("constant y", np.round(rng.normal(size=25), 4), np.full(25, -3.0)))
    inputs.append(("single sample", np.array([0.5]), np.array([2.0])))

    cases = []
    for name, x, y in inputs:
        case: dict = {"name": name, "x": x.tolist(), "y": y.tolist(), "notes": {}}
        # x is the target and y the prediction for the mean absolute error.
        case["pearson"], note = call_reference(lambda a, b: pearsonr(a, b).statistic, x, y)
        if note:
            case["notes"]["pearson"] = note
        case["mae"], _ = call_reference(mean_absolute_error, x, y)
        if not case["notes"]:
            del case["notes"]
        cases.append(case)
    return cases


def main() -> None:
    rng = np.random.default_rng(SEED)
    fixtures = {
        "generator": "tests/reference/make_metric_fixtures.py",
        "seed": SEED,
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__,
        },
        "binary": [binary_case(*inputs) for inputs in binary_inputs(rng)],
        "multiclass": [multiclass_case(*inputs) for inputs in multiclass_inputs(rng)],
        "labels": label_cases(rng),
        "regression": regression_cases(rng),
    }
    text = json.dumps(fixtures, separators=(",", ":"), allow_nan=False)
    assert len(text) < MAX_OUTPUT_BYTES, f"fixture file is {len(text)} bytes, over {MAX_OUTPUT_BYTES}"
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text + "\n")
    print(f"wrote {OUTPUT} ({len(text)} bytes)")


if __name__ == "__main__":
    main()
